import { describe, expect, test } from "bun:test";
import { release } from "node:os";
import { watchOwnerPid } from "./owner.ts";

// pidfd_open came with Linux 5.3 (Debian 12 has 6.1)
const [major = 0, minor = 0] = release().split(".").map(Number);
const kernelHasPidfd = process.platform === "linux" && (major > 5 || (major === 5 && minor >= 3));

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await Bun.sleep(20);
  }
  return check();
}

/** A process that exits when asked but stays an unreaped zombie: its parent never waits. */
async function zombieToBe(): Promise<{ pid: number; parent: Bun.Subprocess }> {
  const parent = Bun.spawn(["sh", "-c", 'sleep 1000 & echo $!; exec sleep 1000'], { stdout: "pipe" });
  const reader = parent.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) out += new TextDecoder().decode((await reader.read()).value);
  return { pid: Number(out.trim()), parent };
}

for (const pidfd of [true, false]) {
  describe(`watchOwnerPid (${pidfd ? "pidfd where the kernel has one" : "kill fallback"})`, () => {
    test("alive while the owner runs, not once it is killed", async () => {
      const owner = Bun.spawn(["sleep", "1000"]);
      const watch = watchOwnerPid(owner.pid, { pidfd })!;
      expect(watch.how).toBe(pidfd && kernelHasPidfd ? "pidfd" : "kill");
      expect(watch.alive()).toBe(true);
      owner.kill("SIGKILL");
      expect(await until(() => !watch.alive(), 10_000)).toBe(true);
      watch.close();
    });

    test("an exited owner that nobody reaped (a zombie) counts as gone", async () => {
      const { pid, parent } = await zombieToBe();
      try {
        const watch = watchOwnerPid(pid, { pidfd })!;
        expect(watch.alive()).toBe(true);
        process.kill(pid, "SIGKILL");
        expect(await until(() => !watch.alive(), 10_000)).toBe(true);
        watch.close();
      } finally {
        parent.kill("SIGKILL");
      }
    });

    test("no such process: null", () => {
      const gone = Bun.spawnSync(["sh", "-c", "echo $$"]).stdout.toString().trim();
      expect(watchOwnerPid(Number(gone), { pidfd })).toBeNull();
    });
  });
}
