// Browser entry point (bundled by build.mjs into dist/app.js).

import { render } from 'preact';
import '../styles.css';
import { App } from './App';
import { warmUpDeviceCrypto } from '../../shared/deviceKey';

render(<App />, document.getElementById('app')!);
// While the login form is read and filled: the room's first messages then verify at full speed.
setTimeout(warmUpDeviceCrypto, 0);
