/**
 * Which working containers a build left behind, told from the build's own output (containersLeftByBuild). The output
 * below is buildah 1.28's, from a three-stage build whose middle stage has no instruction of its own: that stage's
 * container stayed after the build, holding its 285 MB image.
 */
import { describe, expect, it } from 'vitest';
import { containersLeftByBuild } from './container-image-build.ts';

const stageImage = '3325078058b3d975a8a0fc66f77b7ef9ffcf3b19f6fb3ec924bcfa2966a4b553';
const buildOutput = `[1/3] STEP 1/2: FROM localhost/skyflo-base:node-20.20.2-bookworm-9bdb49d88c93 AS a-x
[1/3] STEP 2/2: RUN mkdir -p /out && echo hi > /out/f
--> 3325078058b
[2/3] STEP 1/1: FROM ${stageImage} AS a
--> 3325078058b
[3/3] STEP 1/2: FROM scratch
[3/3] STEP 2/2: COPY --from=a /out/ /out/
[3/3] COMMIT localhost/bt:2
--> d87a989f7d4
Successfully tagged localhost/bt:2
d87a989f7d4e86d678945cd230be2e33f8f303ac04a64ea0acb6837ebb6ab232
`;
const container = (id: string, imageid: string) => ({ id, imageid, containername: `${imageid.slice(0, 12)}-working-container` });

describe("a build's leftover working containers", () => {
  it("are the containers made from an image the build committed or started a stage from, and no other build's", () => {
    const left = containersLeftByBuild(buildOutput, [
      container('5979e18ff2f6', stageImage),
      // another build's stage, and a container of the base image every build starts from: not this build's to report
      container('79eec62eebd2', '5ca182235f42514b4ddf9061c32f1e42e1329ff4a13863b696380fd2d46314f3'),
      container('0c1d2e3f4a5b', 'e57407cb77d9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a'),
    ]);
    expect(left).toEqual([{ id: '5979e18ff2f6', name: '3325078058b3-working-container', image: stageImage }]);
  });

  it('are none when buildah removed every stage container', () => {
    expect(containersLeftByBuild(buildOutput, [])).toEqual([]);
    expect(containersLeftByBuild('', [container('5979e18ff2f6', stageImage)])).toEqual([]);
  });
});
