// A logged-in session: which server, which token, which account.

import type { PublicUser } from '../../shared/api';

export interface Session {
  /** http(s) origin of the rendezvous server. */
  origin: string;
  token: string;
  user: PublicUser;
}
