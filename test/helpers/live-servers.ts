// The two servers the live-route tests talk to: one on the real engine (Silero and the micro
// synthetic model) for real speech, one on the fake engine for the gate and bad input; and the
// speech (espeak-ng sentences with known silences). Registers its own beforeAll/afterAll.
import { afterAll, beforeAll } from "bun:test";
import { WhisperEngine } from "../../src/engine/index.ts";
import { FakeEngine } from "../fake-engine.ts";
import { MICRO_EN, startTestServer, type TestServer } from "./server.ts";
import { spokenWithGaps, THREE_UTTERANCES, type SpokenAudio } from "./speech.ts";

export interface LiveServers {
  real: TestServer;
  server: TestServer;
  /** the engine behind `server` */
  fake: FakeEngine;
  /** the three utterances, ready once the file's tests run */
  readonly spoken: SpokenAudio;
}

export function liveTestServers(): LiveServers {
  const engine = new WhisperEngine();
  const fake = new FakeEngine();
  const real = startTestServer(engine);
  const server = startTestServer(fake);
  let spoken: SpokenAudio | undefined;
  beforeAll(async () => {
    spoken = await spokenWithGaps(THREE_UTTERANCES.texts, THREE_UTTERANCES.gaps);
    await engine.load(MICRO_EN);
    await fake.load("/models/fake.en.bin");
  }, 60_000);
  afterAll(async () => {
    await real.close();
    await server.close();
    await engine.close();
  });
  return {
    real,
    server,
    fake,
    get spoken() {
      return spoken!;
    },
  };
}
