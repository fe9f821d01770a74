// `npm run bench:room`: only the room scenario of `npm run bench` (bench/room.ts).

import { roomBench } from './roomReport';

roomBench().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
