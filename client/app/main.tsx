// Browser entry point (bundled by build.mjs into dist/app.js).

import { render } from 'preact';
import '../styles.css';
import { App } from './App';
import { warmUpDeviceCrypto } from '../../shared/deviceKey';
import { warmUpPairKeys } from '../../shared/e2e/index';

render(<App />, document.getElementById('app')!);
// While the login form is read and filled: the room's first messages then verify and open at full speed.
setTimeout(warmUpDeviceCrypto, 0);
setTimeout(warmUpPairKeys, 0);
