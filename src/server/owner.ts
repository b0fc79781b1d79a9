// Is the owner process (`--parent-pid`) still alive? Started through a shell that exits at once
// (`sh -c 'sona serve &'`), sona is an orphan from the start, so a change of its own parent pid
// says nothing; the owner names itself instead. On Linux >= 5.3 the owner is held by a pidfd,
// which cannot be fooled by the pid being reused and turns readable the moment the owner exits
// (even as an unreaped zombie); elsewhere, kill(pid, 0) plus /proc's start time and state.
// Two plain syscalls through bun:ffi (pidfd_open, poll); the only memory they see is the
// 8-byte pollfd below, owned by this module.
import { dlopen, FFIType } from "bun:ffi";
import { readFileSync } from "node:fs";

export interface OwnerHandle {
  /** false once the owner has exited */
  alive(): boolean;
  close(): void;
  /** how the owner is watched, for the log */
  readonly how: "pidfd" | "kill";
}

const SYS_PIDFD_OPEN = 434; // the same number on every Linux architecture
const POLLIN = 1;

type Libc = {
  syscall(nr: number, a: number, b: number): number | bigint;
  poll(fds: Int32Array, n: number, timeout: number): number;
  close(fd: number): number;
};
let libc: Libc | null | undefined;

function openLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== "linux") return libc;
  try {
    const { symbols } = dlopen("libc.so.6", {
      // variadic in C; glibc's syscall() reads whole registers, so every argument is 64 bits
      syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i64 },
      poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
      close: { args: [FFIType.i32], returns: FFIType.i32 },
    });
    libc = symbols as unknown as Libc;
  } catch {
    // not glibc (musl names it libc.so): the kill fallback below
  }
  return libc;
}

/** Opens a watch on `pid`; null when no process has that pid now. `pidfd: false` tests the fallback. */
export function watchOwnerPid(pid: number, opts: { pidfd?: boolean } = {}): OwnerHandle | null {
  const c = opts.pidfd === false ? null : openLibc();
  if (c) {
    const fd = Number(c.syscall(SYS_PIDFD_OPEN, pid, 0));
    if (fd >= 0) {
      const pollfd = new Int32Array([fd, POLLIN]); // {int fd; short events; short revents}
      let open = true;
      return {
        how: "pidfd",
        alive() {
          if (!open) return false;
          pollfd[1] = POLLIN; // clears revents
          return c.poll(pollfd, 1, 0) === 0; // readable = exited
        },
        close() {
          if (open) c.close(fd);
          open = false;
        },
      };
    }
    // ESRCH: no such process; ENOSYS/EPERM (old kernel, seccomp): fall back
    if (!processExists(pid)) return null;
  }
  const started = startTime(pid);
  if (!processExists(pid)) return null;
  return {
    how: "kill",
    // the pid may be reused after the owner exits: a different start time is a different process
    alive: () => processExists(pid) && startTime(pid) === started,
    close() {},
  };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return procState(pid) !== "Z";
}

/** /proc/<pid>/stat after the command name: "S ppid ..."; fields 3 (state) and 22 (start time). */
function procFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

const procState = (pid: number) => procFields(pid)?.[0];
const startTime = (pid: number) => procFields(pid)?.[19];
