// Valid image files for the browser tests, generated (no fixtures on disk): the same builders as
// the Node tests, so every image sent here passes shared/imageCheck.ts.

export { makeGif, makePng, makePngNear, pngClaiming } from '../../helpers/imageFixtures';
