// Every limit of ChatRoom in one place. Both the sender and the receiver enforce these.
// Units are in the names or the comments; defaults are the values below.

/**
 * Version of the WebSocket protocol (rendezvous <-> client), including the peer signals it carries
 * (shared/peerSignal.ts). Bumped on any incompatible change; the server refuses any other version, so
 * a room never mixes versions. 2: relay first, and a responder may decline a direct link (budget).
 * 3: every socket binds a device key (Ed25519) to its account, and presence carries it.
 * 4: a client may ask which accounts own given device keys ('keys'), to verify history from peers.
 * 5: end to end (issue 13): `auth` and presence carry a session key signed by the device key, every
 * relayed payload is sealed (shared/e2e/sealed.ts), and offers and answers carry a signature of
 * their DTLS fingerprints by the device key.
 * 6: an initiator asks the responder for a direct-link slot (`ask`, answered `grant` or `decline`)
 * before it makes a connection, instead of offering at once (shared/peerSignal.ts).
 * 7: a resuming client names the room it holds (`auth.known`, a digest per bucket of peer ids) and
 * gets a welcome of the changed buckets only (`welcome.partial`); a peer presumed online after a
 * restart but not back yet is answered PEER_AWAY (shared/roomDigest.ts, rendezvous/ws/presumedPeers.ts).
 */
export const PROTOCOL_VERSION = 7;
/**
 * Version of the peer frame format (data channel and relay). 2: every text and image carries its
 * author device's signature over its content record (shared/contentRecord.ts), and peers serve
 * each other the room's history (HISTORY_* frames).
 */
export const FRAME_VERSION = 2;

// ---- Accounts -------------------------------------------------------------------------------
/** Username length in Unicode code points, after NFC normalization. */
export const USERNAME_MIN_CHARS = 1;
export const USERNAME_MAX_CHARS = 32;
/** Password length in code points. */
export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_CHARS = 1024;
/** Display name: 1..64 code points. */
export const DISPLAY_NAME_MAX_CHARS = 64;
/**
 * Combining marks in a row on one base character in a user or display name (marks). Default 4: NFC
 * composes most accented letters into one code point, Vietnamese and Thai stack two, some Indic
 * and Tibetan clusters three or four; "A" followed by 63 marks draws over the lines around it. A
 * name also may not start with a mark.
 */
export const NAME_MARKS_PER_BASE_MAX = 4;
/**
 * Characters in a display name that draw many times wider than a letter and have no NFKC expansion
 * to be measured by (U+FDFD-FDFF Arabic word ligatures, U+2E3A/2E3B two- and three-em dashes,
 * cuneiform): at most this many. Default 2: a real name or greeting uses one; 64 x U+FDFD drew
 * a line across the whole online list.
 */
export const DISPLAY_NAME_WIDE_CHARS_MAX = 2;
/** Bio: 0..280 code points. */
export const BIO_MAX_CHARS = 280;
/** Largest accepted HTTP JSON request body (bytes). A maximal password is ~4 KiB of UTF-8. */
export const HTTP_JSON_BODY_MAX_BYTES = 16 * 1024;

// ---- Sessions and login throttling ---------------------------------------------------------
/** Session token: 256 random bits, sent as base64url (43 chars). */
export const SESSION_TOKEN_BYTES = 32;
/** Session lifetime (ms). Default 7 days. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Failed logins allowed per account in LOGIN_FAILURE_WINDOW_MS before 429. */
export const LOGIN_FAILURES_PER_ACCOUNT = 100;
/** Failed logins allowed per client address in LOGIN_FAILURE_WINDOW_MS before 429. */
export const LOGIN_FAILURES_PER_ADDRESS = 300;
/** Sliding window for login failures (ms): one hour. */
export const LOGIN_FAILURE_WINDOW_MS = 60 * 60 * 1000;
/**
 * Failed logins allowed per account and client address pair in LOGIN_FAILURE_WINDOW_MS. Default
 * 20: a person mistyping from their own machine never gets there, and one guessing address is
 * stopped long before LOGIN_FAILURES_PER_ACCOUNT, which only refuses logins without a device token.
 */
export const LOGIN_FAILURES_PER_ACCOUNT_ADDRESS = 20;
/**
 * Failed logins allowed per known device (one holding a device token of the account) in
 * LOGIN_FAILURE_WINDOW_MS. Such a login is checked against this count only, so failures from other
 * devices or addresses never lock the owner out (OWASP "device cookies", NIST SP 800-63B 5.2.2).
 */
export const LOGIN_FAILURES_PER_DEVICE = 20;
/** Device token: 256 random bits, sent as base64url after the 128-bit device id ("<id>.<secret>"). */
export const DEVICE_TOKEN_BYTES = 32;
export const DEVICE_ID_BYTES = 16;
/**
 * Device records kept per account (browser profiles or CLI state folders that logged in). Default 32;
 * past it the one seen least recently is forgotten (it then logs in as a new device).
 */
export const DEVICES_PER_ACCOUNT_MAX = 32;
/**
 * Live sessions kept per account (sessions). Default 32: every login makes one, a browser keeps
 * one per profile; past the cap the oldest is revoked (its sockets closed), so 400 logins in 10 s
 * store 32 sessions, not 400. Sessions above the cap are also trimmed when the store loads.
 */
export const SESSIONS_PER_ACCOUNT_MAX = 32;
/**
 * Accounts one client address may create in REGISTRATION_WINDOW_MS; past it registration answers
 * 429 RATE_LIMITED with Retry-After. Default 20 an hour. On a LAN one address is one machine,
 * mostly one person with one account, a few at most (a test account, a colleague at the same
 * desk): 20 is far above that, yet a host flooding the room gets 20 accounts an hour, not
 * thousands. Only successful registrations count. Someone setting up a whole class from one
 * machine waits for the window.
 */
export const REGISTRATIONS_PER_ADDRESS = 20;
/** Sliding window for REGISTRATIONS_PER_ADDRESS (ms): one hour, like the login window. */
export const REGISTRATION_WINDOW_MS = 60 * 60 * 1000;
/** Password hashes computed at once; more wait in a bounded queue (libuv has 4 threads). */
export const PASSWORD_HASH_CONCURRENCY = 2;
/**
 * Password-hash requests allowed to wait at most, whatever their expected wait (a memory bound:
 * a waiting request holds only its closure). The usual limit is PASSWORD_QUEUE_WAIT_MAX_MS.
 */
export const PASSWORD_HASH_QUEUE_MAX = 1_000;
/**
 * A login or registration is refused with 503 BUSY (and a Retry-After) only when it would wait
 * longer than this for its hash (ms): the expected wait is the queue ahead of it times the hash
 * time measured on this machine, divided by PASSWORD_HASH_CONCURRENCY. A count of 64 refused 34
 * of 100 simultaneous logins (npm run bench:load) that would have waited under 3 s.
 */
export const PASSWORD_QUEUE_WAIT_MAX_MS = 3_000;
/**
 * Requests always allowed to wait, whatever the expected wait (the former fixed queue): on a
 * machine so loaded that hashes take 150 ms, 20 failed logins at once still get their 401s.
 */
export const PASSWORD_QUEUE_ALWAYS_ACCEPTED = 64;
/** The hash time assumed before one is measured (ms); Argon2id at OWASP's minimum took ~27 ms here. */
export const PASSWORD_HASH_ESTIMATE_MS = 30;
/** A client told 503 BUSY (or STORE_UNAVAILABLE) at login or registration tries again this many times at most... */
export const BUSY_RETRY_ATTEMPTS_MAX = 10;
/** ...waiting the server's Retry-After, or a backoff from this (ms), doubling... */
export const BUSY_RETRY_FIRST_MS = 500;
/** ...up to this (ms), with jitter so that a refused crowd does not come back at once. */
export const BUSY_RETRY_MAX_MS = 8_000;

// ---- WebSocket (rendezvous) ----------------------------------------------------------------
/**
 * Connections the kernel may hold for the server before it accepts them (connections; Linux caps it
 * at net.core.somaxconn, 4096 by default). Node's default of 511 overflows when thousands of
 * clients reconnect at once after a restart while a presence flush holds the event loop: the
 * kernel then drops their SYNs, and each waits 1, 2, 4... s to try again.
 */
export const LISTEN_BACKLOG = 4_096;
/**
 * WebSocket connections that have not authenticated yet, held at once from all addresses
 * (connections). When thousands of clients reconnect at once after a restart, sockets admitted
 * faster than they can be authenticated only wait to meet WS_AUTH_DEADLINE_MS, after the server
 * has upgraded them and often checked their token for nothing (8,212 of 16,000 failed attempts in
 * the bench's storm). Past this many, an upgrade gets HTTP 503 at once and the client backs off.
 * 500 are authenticated within the deadline at 100 a second, what the 2-core machine managed
 * under load while the storm's clients shared it (with 1,000, 3,450 attempts still timed out).
 */
export const WS_UNAUTHENTICATED_MAX = 500;
/** An unauthenticated socket is closed after this long (ms). */
export const WS_AUTH_DEADLINE_MS = 5_000;
/**
 * WebSocket connections from one client address that have not authenticated yet, held at once
 * (connections). Default 64. A browser tab holds one socket and authenticates it within a round
 * trip; a machine with many tabs, or all of them reconnecting after a server restart, holds a few
 * dozen at most. One more upgrade is refused with HTTP 429 before the WebSocket exists, so a
 * flooding host holds 64 sockets for WS_AUTH_DEADLINE_MS, not thousands. In a cluster the sockets
 * it holds on every node count (each node publishes its counts through Redis).
 */
export const WS_UNAUTHENTICATED_PER_ADDRESS_MAX = 64;
/** Largest JSON control message (bytes, UTF-8). Signals carry SDP, which is a few KiB. */
export const WS_CONTROL_MESSAGE_MAX_BYTES = 64 * 1024;
/**
 * Largest message a client may send on the control channel (bytes, UTF-8): a signal is the largest
 * (an auth is ~150 bytes). Measured (2 wrtc peers, one data channel, trickle as the mesh runs):
 * offer 674 B, answer 857 B, a candidate 233-240 B, each as the whole signal message; Chromium 156
 * (one data channel, loopback): offer and answer 578 B, a candidate 303 B. 16 KiB leaves room for a host with dozens of interfaces
 * (wrtc puts candidates into the SDP) and for the signatures end-to-end keys add to SDP, yet a
 * flood of signals at the message rate moves 16x less than the 64 KiB allowed before.
 */
export const SIGNAL_MAX_BYTES = 16 * 1024;
/**
 * Largest JSON message a client accepts from its server (bytes, UTF-8). A welcome lists everyone
 * online and a presence batch everyone who joined at once (~100 bytes a peer, up to ~500 with a
 * long display name), so it grows with the room: 32 MiB covers 10,000 peers with room to spare.
 */
export const WS_SERVER_MESSAGE_MAX_BYTES = 32 * 1024 * 1024;
/** Largest peer frame (bytes): one image chunk plus the frame header. */
export const PEER_FRAME_MAX_BYTES = 64 * 1024 + 1024;
/** Length of a peer id (base64url chars). */
export const PEER_ID_CHARS = 22;
/** Receivers one relay envelope may name (a payload for more goes in several envelopes). */
export const RELAY_RECIPIENTS_MAX = 32;
/** Relay envelope overhead: a multi-receiver header (2 bytes + RELAY_RECIPIENTS_MAX peer ids), or 1 length byte + up to 64 bytes of one peer id. */
export const RELAY_ENVELOPE_MAX_BYTES = Math.max(2 + RELAY_RECIPIENTS_MAX * PEER_ID_CHARS, 1 + 64);
/**
 * Frames one relayed message may bundle (frames.ts BUNDLE): each WebSocket message costs the
 * server a read, a parse and a write per receiver whatever its size, so image chunks cross it in
 * fours (256 KiB) rather than one by one. Direct links never bundle (a data channel message stays
 * under PEER_FRAME_MAX_BYTES).
 */
export const RELAY_BUNDLE_FRAMES_MAX = 4;
/** Largest relayed payload (bytes): a bundle of RELAY_BUNDLE_FRAMES_MAX frames (22-byte header, 4-byte length each). */
export const RELAY_PAYLOAD_MAX_BYTES = 22 + RELAY_BUNDLE_FRAMES_MAX * (4 + PEER_FRAME_MAX_BYTES);
/**
 * What sealing adds to a relayed payload at most (bytes): the prefix (version, count, the sender's
 * session key, RELAY_RECIPIENTS_MAX peer ids), the content tag, and one key wrap per receiver
 * (counter, content key, tag). shared/e2e/sealed.ts.
 */
export const RELAY_SEAL_OVERHEAD_MAX_BYTES = 2 + 32 + RELAY_RECIPIENTS_MAX * PEER_ID_CHARS + 16 + RELAY_RECIPIENTS_MAX * (8 + 32 + 16);
/** Largest relayed payload as it crosses the server (bytes): a sealed bundle. */
export const RELAY_SEALED_PAYLOAD_MAX_BYTES = RELAY_PAYLOAD_MAX_BYTES + RELAY_SEAL_OVERHEAD_MAX_BYTES;
/** Relayed frames a peer may have waiting to be sent at the end of a turn: keeps the per-peer queues in step so one image chunk for many peers is relayed once, and fills a bundle. */
export const RELAY_COALESCE_FRAMES = RELAY_BUNDLE_FRAMES_MAX;
/** ws maxPayload: a little above the largest legitimate message (bytes). */
export const WS_MAX_PAYLOAD_BYTES = Math.max(WS_CONTROL_MESSAGE_MAX_BYTES, RELAY_SEALED_PAYLOAD_MAX_BYTES + RELAY_ENVELOPE_MAX_BYTES) + 1024;
/** Messages a connection may send per second (token bucket refill rate). Relay of a 5 MiB image at 64 KiB chunks is 80 frames (fewer messages: bundles). */
export const WS_MESSAGES_PER_SECOND = 2_000;
/** Token bucket burst size (messages). */
export const WS_MESSAGE_BURST = 4_000;
/**
 * Flood limit: a socket that sends more than this many messages within WS_FLOOD_WINDOW_MS is closed
 * (RATE_LIMITED, close code 4005), whatever the bucket still allows. Default 7,500 in 3 s, an average
 * of 2,500 a second, 1.25x WS_MESSAGES_PER_SECOND: the bucket's 4,000 burst alone lets 2,700 a second
 * go on for 6 s before a refusal, so a count of refusals never fired on such a flood. The mesh
 * paces itself at 0.8x the rate (client/mesh/tokenBucket.ts), so a real client stays far below.
 */
export const WS_FLOOD_MESSAGES_PER_WINDOW = 7_500;
/** The window of WS_FLOOD_MESSAGES_PER_WINDOW (ms). */
export const WS_FLOOD_WINDOW_MS = 3_000;
/** Invalid messages tolerated per connection before it is closed. */
export const WS_INVALID_MESSAGES_MAX = 10;
/** Receiver socket bufferedAmount (bytes) above which relay senders are told to pause. */
export const RELAY_PAUSE_ABOVE_BYTES = 4 * 1024 * 1024;
/** ...and below which they are told to resume. */
export const RELAY_RESUME_BELOW_BYTES = 1 * 1024 * 1024;
/**
 * Receiver bufferedAmount (bytes) beyond which further relay frames, and signals, are dropped with
 * an error to the sender (RELAY_BACKED_UP, SIGNAL_DROPPED): the receiver is never disconnected for
 * what others send it.
 */
export const RELAY_DROP_ABOVE_BYTES = 16 * 1024 * 1024;
/**
 * How long a socket the server closes gets to answer the close frame before it is cut (ms). ws
 * waits 30 s by itself: 64 raw upgrades that never answer then held an address's unauthenticated
 * slots for 35 s, not WS_AUTH_DEADLINE_MS. A live client answers within a round trip.
 */
export const WS_CLOSE_TIMEOUT_MS = 1_000;
/**
 * Devices of one account online at once (distinct peers: each browser tab and each CLI client is
 * one; a socket resuming the same peer secret replaces its peer and does not count). Default 8: a
 * phone, a laptop, a desktop and a few tabs. One more is closed with TOO_MANY_DEVICES (close code 4008, after which a client does not
 * reconnect), rather than replacing the oldest, which would have two devices replace each other in a
 * loop. Without it one token with 200 peer secrets put 200 "alice" peers in everyone's list.
 * ServerOptions.peersPerAccountMax overrides it (the load bench runs 100 per account).
 */
export const PEERS_PER_ACCOUNT_MAX = 8;
/** Heartbeat: ping interval (ms). A dead peer is dropped after at most 2 intervals (default 30 s). */
export const HEARTBEAT_INTERVAL_MS = 15_000;
/** Presence changes are coalesced and broadcast at most this often (ms). */
export const PRESENCE_FLUSH_MS = 50;
/**
 * Room digests (shared/roomDigest.ts): the room is split into at most this many buckets by peer id,
 * each summed up as the XOR of its members' entry hashes. 256 x 12 bytes is 4 KiB of base64url in
 * an `auth`; a client holding 10,000 peers that missed one change is sent one bucket (~40 peers,
 * ~12 KiB) instead of the whole room (~3 MB).
 */
export const ROOM_DIGEST_BUCKETS_MAX = 256;
/** Bytes of SHA-256 kept per entry hash (96 bits: a crafted collision costs ~2^48 hashes). */
export const ROOM_DIGEST_HASH_BYTES = 12;
/** A client picks its bucket count so a bucket holds about this many peers (fewer buckets, smaller `auth`). */
export const ROOM_DIGEST_PEERS_PER_BUCKET = 16;
/**
 * After a restart, members of the saved room are presumed online this long (ms) while they come
 * back; those not back by then are announced gone. Above the time a storm of 10,000 took to resume
 * here (12.5 s after the kill; the clients' backoff is at most RECONNECT_MAX_MS), so that the tail of
 * the crowd is not announced gone and back (each a broadcast to everyone); and as long as a dead
 * peer may stay listed anyway (two heartbeat intervals), which is what a member who never comes
 * back costs the others: listed, unreachable (PEER_AWAY), for at most this long.
 */
export const PRESENCE_PRESUMED_GRACE_MS = 2 * HEARTBEAT_INTERVAL_MS;
/** The room is saved at most this often (ms) while it changes (presumed members after a kill -9). */
export const PRESENCE_SNAPSHOT_INTERVAL_MS = 2_000;
/** A saved room older than this (ms) is not restored: its members have long gone. */
export const PRESENCE_SNAPSHOT_MAX_AGE_MS = 10 * 60_000;
/** The saved room's file is not read past this size (bytes): ~400 bytes a peer, 50,000 peers. */
export const PRESENCE_SNAPSHOT_MAX_BYTES = 20 * 1024 * 1024;
/** Peers restored from a saved room at most. */
export const PRESENCE_SNAPSHOT_PEERS_MAX = 50_000;
/**
 * Senders refused PEER_AWAY about one presumed peer that are told when it is back (a presence
 * message naming it, so their mesh sends again at once); the others rely on their retransmit timer.
 */
export const PRESENCE_AWAY_WAITERS_MAX = 256;
/** Client-chosen resume secret, base64url chars (128 bits or more). */
export const PEER_SECRET_MIN_CHARS = 22;
export const PEER_SECRET_MAX_CHARS = 64;

// ---- Device keys and signatures -----------------------------------------------------------
/** An Ed25519 public key or seed (bytes); base64url, 43 chars. */
export const DEVICE_KEY_BYTES = 32;
/** An Ed25519 signature (bytes); base64url, 86 chars. */
export const DEVICE_SIGNATURE_BYTES = 64;
/**
 * Device keys kept per account (keys): a new browser profile or CLI state folder is a new key; past
 * this the key seen least recently is forgotten (its old messages can then no longer be verified).
 * Default 32, far above the devices one person uses, while a user clearing storage every day keeps a month.
 */
export const DEVICE_KEYS_PER_ACCOUNT_MAX = 32;
/**
 * Device keys one 'keys' request may ask about (keys). Default 32: a history sync of
 * HISTORY_SYNC_MESSAGES_MAX messages names a few authors' devices, rarely more than a handful;
 * several requests cover more, each counted by the socket's message rate limit.
 */
export const DEVICE_KEYS_LOOKUP_MAX = 32;
/** How long a client waits for the server's answer to a 'keys' request (ms) before it counts the keys as unknown. */
export const KEY_LOOKUP_TIMEOUT_MS = 5_000;
/** Key owners a client remembers from the server's answers (entries; the oldest forgotten first). */
export const KNOWN_KEYS_MAX = 1_024;
/**
 * Parsed public keys a Node verifier keeps (entries, ~1 KiB each; the oldest forgotten first):
 * parsing a key cost twice the verification itself in a room of 50, where every message checks one of 50.
 */
export const VERIFIER_KEYS_CACHED_MAX = 1_024;

// ---- History from peers ------------------------------------------------------------------------
/**
 * Messages one history sync brings (the room's most recent, texts and images; messages). Default
 * 256: the last 200 texts with the images among them, a day of an active room's talk at a glance
 * (Chitchatter sends 150); 200 texts of typical length are ~40 KiB, verified in ~0.2-0.4 s with
 * pure-JS Ed25519 in a page; the ids a newcomer says it has (35 bytes each) fit one frame. Each
 * peer keeps this many to serve.
 */
export const HISTORY_SYNC_MESSAGES_MAX = 256;
/**
 * Image bytes one history sync brings (bytes), the newest images first. Default 50 MiB: ten images
 * at the 5 MiB cap, ~2 s on a LAN data channel, and what a peer keeps in memory to serve.
 */
export const HISTORY_SYNC_IMAGE_BYTES_MAX = 50 * 1024 * 1024;
/**
 * What one account may have this peer serve it per HISTORY_SERVE_WINDOW_MS: listings
 * (HISTORY_SERVE_REQUESTS_MAX requests) and image bytes passed on (HISTORY_SERVE_IMAGE_BYTES_MAX,
 * two whole syncs). A newcomer syncs once per welcome and then names what it has, so honest use
 * stays far below; without it, one member could have every peer upload 50 MiB again and again.
 */
/**
 * Own texts sent this long before a peer appeared are sent to it as well (ms; at most
 * JOIN_RACE_TEXTS_MAX of them): a text in flight while someone joins reaches neither the newcomer
 * (not yet a receiver) nor, maybe, the peers its history sync asked at that moment. The window covers
 * a presence flush and two relay hops with a wide margin for a loaded machine.
 */
export const JOIN_RACE_MS = 5_000;
export const JOIN_RACE_TEXTS_MAX = 32;
export const HISTORY_SERVE_WINDOW_MS = 10 * 60_000;
export const HISTORY_SERVE_REQUESTS_MAX = 30;
export const HISTORY_SERVE_IMAGE_BYTES_MAX = 2 * HISTORY_SYNC_IMAGE_BYTES_MAX;
/** Accounts whose serving this peer counts at once (the oldest window is forgotten first). */
export const HISTORY_SERVE_ACCOUNTS_MAX = 1_024;
/** Peers asked at once for the room's history (peers): texts come from each, images are spread over them. */
export const HISTORY_SYNC_PEERS_MAX = 3;
/**
 * A peer serving history that sends nothing for this long is given up (ms); its share goes to
 * another peer. Default 10 s: a listing is one or two frames; an image moves at least every chunk.
 */
export const HISTORY_SYNC_IDLE_MS = 10_000;
/** After the first peer's listing, how long to wait for the others' before spreading image requests (ms). */
export const HISTORY_LISTING_GRACE_MS = 300;
/** Records in one HISTORY_BATCH frame (records); the frame's byte cap (PEER_FRAME_MAX_BYTES) holds too. */
export const HISTORY_BATCH_RECORDS_MAX = 50;
/** How long the first sync waits for the caller's stored history to load (ms); what loads later still dedups by id. */
export const HISTORY_KEPT_LOAD_WAIT_MS = 1_000;
/** Message ids a mesh remembers having shown (ids), so a message that comes both live and from history shows once. */
export const SHOWN_IDS_MAX = 5_000;

// ---- End to end (shared/e2e) -------------------------------------------------------------
/** An X25519 session key (bytes); base64url, 43 chars. One per Mesh, never stored. */
export const SESSION_KEY_BYTES = 32;
/** ChaCha20-Poly1305 (RFC 8439): key, nonce and tag (bytes). */
export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;
/**
 * Digits of a safety number (digits), shown in groups of SAFETY_NUMBER_GROUP_DIGITS. 12 digits
 * (~40 bits): a server that wants to swap a key unnoticed must find a key pair whose number matches
 * the one the two people would compare, ~10^12 tries for each pair it targets, while a person still
 * reads three groups of four aloud in a few seconds.
 */
export const SAFETY_NUMBER_DIGITS = 12;
export const SAFETY_NUMBER_GROUP_DIGITS = 4;
/**
 * Device keys pinned per account (keys) on this device, newest first: a key not among them is a
 * changed device ("bob's device changed"). Default DEVICE_KEYS_PER_ACCOUNT_MAX, as many as the
 * server keeps for one account.
 */
export const KEY_PINS_PER_ACCOUNT_MAX = 32;
/**
 * Peer sessions whose relay keys and counters a Mesh keeps (sessions), also after the peer left: a
 * peer back with the same session continues its counters, so its earlier payloads cannot be
 * replayed. Default 10,000 (~200 bytes each): far more peers than a room sees in a day.
 */
export const SEALED_SESSIONS_MAX = 10_000;
/** "bob's device changed" lines a page keeps in its log (lines; the oldest go first). They are not stored. */
export const LOG_NOTICES_MAX = 50;
/** Accounts whose device keys this device pins (accounts); the least recently seen is forgotten past it. */
export const KEY_PIN_ACCOUNTS_MAX = 1_000;

// ---- Messages ------------------------------------------------------------------------------
/** Text message length, in UTF-16 code units (what a textarea counts). */
export const TEXT_MAX_CHARS = 10_000;
/** Image size (bytes): 5 MiB. The server config may lower it; it is announced in the welcome message. */
export const IMAGE_MAX_BYTES = 5 * 1024 * 1024;
/** Image file name kept for display/alt text (code points); longer names are cut. */
export const IMAGE_NAME_MAX_CHARS = 255;
/** Supported image types, sniffed from bytes. No SVG. */
export const IMAGE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type ImageMime = (typeof IMAGE_MIME_TYPES)[number];
/**
 * Largest image side accepted (pixels), checked on send and on receive before anything decodes it.
 * Decoders allocate width x height x 4 bytes whatever the file size: a 20000 x 20000 PNG of a few
 * KiB would claim 1.6 GB. 16384 is also the largest canvas WebP can encode.
 */
export const IMAGE_MAX_SIDE_PX = 16_384;
/** Largest image area accepted (pixels): 50 MP (~200 MB decoded as RGBA) lets an 8000 x 6000 photo through. */
export const IMAGE_MAX_PIXELS = 50_000_000;
/**
 * Most animation frames accepted in one image (frames: GIF image descriptors, WebP ANMF chunks),
 * checked on send and on receive with the size. Default 5000: at the fastest rate browsers play
 * (20 ms a frame) that is 100 s of animation, at a usual 10-15 fps 5-8 minutes, far above real
 * animated GIFs and WebPs within IMAGE_MAX_BYTES. Without it a 5 MiB file holds over 400,000 empty
 * 12-byte GIF frames (~140,000 WebP ones), and a browser's decoder stays busy with them.
 */
export const IMAGE_MAX_FRAMES = 5_000;
/**
 * Most decoded area of one image summed over its frames (pixels): each GIF image descriptor's
 * width x height, each WebP ANMF frame's; a still image counts once (a still WebP its canvas, at
 * most IMAGE_MAX_PIXELS). Checked on send and on receive as the frames are counted. Default 1
 * gigapixel (~4 GB of RGBA for the decoder to write over the animation). Decode work follows a
 * frame's area, not its bytes: a single-colour 50 MP GIF frame encodes in ~22 KiB (~236 of them,
 * 12 GP, fit in IMAGE_MAX_BYTES), and a frame claiming its size over a few bytes of data is
 * smaller still (up to IMAGE_MAX_FRAMES x 50 MP = 250 GP). 1 GP still lets through 20 full 50 MP
 * frames, 482 full 1920 x 1080 ones (16 s of 1080p at 30 fps) or 3255 of 640 x 480; a typical
 * 5 MiB animation (500 frames of 640 x 480 = 154 MP, and most encoders crop a frame to what
 * changed) stays far below.
 */
export const IMAGE_MAX_TOTAL_FRAME_PIXELS = 1_000_000_000;
/**
 * Least time between two renders of the progress bars of images in transit (ms), on an animation
 * frame. Default 100 (10 updates a second). Every render is painted and composited by the page, the
 * browser and the GPU process (in software without a GPU) while the image itself needs the CPU:
 * with a render every frame on three pages, a 5 MiB transfer took 1.6x the raw data channel floor,
 * without them 1.3x (client/mesh/README.md, issue 14).
 */
export const PROGRESS_RENDER_MS = 100;
/**
 * An image is written to the history once it is shown, or after this long (ms) if it never loads.
 * Default 5,000. Writing 5 MiB to IndexedDB costs the browser's other processes CPU that the
 * image's own display needs first (client/mesh/README.md, issue 14).
 */
export const HISTORY_IMAGE_WRITE_LATEST_MS = 5_000;

/** "Typing" notices go out at most this often while someone types (ms). Never stored. */
export const TYPING_SEND_EVERY_MS = 3_000;
/**
 * A received message's sent time counts for the room's order (a new message is stamped after the
 * newest one seen) only when it is at most this far ahead of our clock (ms): a peer with a clock
 * far ahead, or lying, cannot push everyone's times into its future. Default 1 minute.
 */
export const CLOCK_AHEAD_MAX_MS = 60_000;
/** Own messages whose delivery ("Delivered to k of n") is followed at once; older ones stop updating. */
export const DELIVERY_TRACKED_MAX = 1_000;
/** "alice is typing…" is shown this long after her last notice (ms), or until her message arrives. */
export const TYPING_SHOW_MS = 5_000;

// ---- Peer transport -------------------------------------------------------------------------
/** Encoded chunks of an outgoing image kept for the other peers it goes to (16 x 64 KiB = 1 MiB per image at most). */
export const IMAGE_FRAME_CACHE_CHUNKS = 16;
/** Image chunk payload (bytes). wrtc closes a channel silently on a message over 256 KiB; Chrome throws. */
export const CHUNK_BYTES = 64 * 1024;
/** Pause sending on a data channel when bufferedAmount exceeds this (bytes). wrtc loses data past ~16 MiB. */
export const CHANNEL_PAUSE_ABOVE_BYTES = 1024 * 1024;
/** Resume sending when bufferedAmount falls below this (bytes). */
export const CHANNEL_RESUME_BELOW_BYTES = 256 * 1024;
/**
 * Image bytes (chunk payloads) a sender keeps in flight on a direct link without the receiver's
 * CHUNK_ACK (bytes). bufferedAmount only counts what is not yet handed to SCTP, so it does not bound
 * what is in flight: on a fresh Chrome association slow start overshoots, packets are lost and
 * each loss costs a 400-900 ms retransmission timeout (measured: first 5 MiB in 0.85-3 s). With
 * 256-512 KiB unacknowledged at most, the first 5 MiB took 240-450 ms with no gaps
 * (/work/shared/chrome-first-transfer-experiment.mjs).
 */
export const DIRECT_WINDOW_BYTES = 512 * 1024;
/**
 * The receiver sends one cumulative CHUNK_ACK every this many image chunks (and after the last
 * one): 256 KiB, so 256-512 KiB stay in flight. Each wrtc send is a synchronous call into its
 * network thread, so fewer acks measurably help (bench, 3 peers direct: every 2 chunks 132-137 ms,
 * every 4: 121-135 ms; Chrome first 5 MiB 560-600 ms either way).
 */
export const CHUNK_ACK_EVERY = 4;
/**
 * A window that stays full this long with no CHUNK_ACK (ms) is opened anyway (the acks were lost,
 * e.g. on a path that died): the transfer then goes on paced by bufferedAmount alone, and the
 * outbox re-send covers real losses. Bounds what a lost ack can cost.
 */
export const WINDOW_STALL_MS = 1_000;
/** How often bufferedAmount is polled while paused (ms): wrtc never fires bufferedamountlow. */
export const CHANNEL_DRAIN_POLL_MS = 5;
/**
 * Direct links (RTCPeerConnections) one peer keeps at once, attempts in flight included; pairs
 * beyond it stay on the relay. Default 24: the largest count whose burst of links opened within 2 s
 * in Chromium on a quiet 2-core machine (1.67 s; 3.6 s loaded; `npm run bench:links`,
 * client/mesh/README.md, "Direct-link budget"). Every link costs its DTLS/SCTP state and a heartbeat a second, and a peer in a room of
 * 50 would otherwise open 49.
 */
export const DIRECT_LINKS_MAX = 24;
/**
 * Direct attempts one mesh opens at once as the initiator, with the relay allowed (attempts); the
 * others wait their turn while the relay carries. Default 4: a newcomer in a room of 50 builds its
 * links a few at a time instead of DIRECT_LINKS_MAX in one burst of certificates, ICE and DTLS,
 * which delayed its first messages and, on the 2-core bench machine, starved every peer.
 */
export const DIRECT_ATTEMPTS_IN_FLIGHT_MAX = 4;
/**
 * With the relay allowed, a pair stops offering after this many attempts in a row that never
 * opened (attempts): the path will not open by retrying (a browser with WebRTC's direct paths
 * disabled, a firewall), and each attempt costs a connection. A signaling reconnect tries again.
 */
export const DIRECT_FAILED_ATTEMPTS_MAX = 4;
/** A direct link that has not opened within this time is given up (ms); the pair stays on the relay meanwhile. */
export const DIRECT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * With the relay allowed, an initiator starts a direct attempt only once no peer has joined for this
 * long (ms): the relay carries meanwhile, so waiting costs nothing, and while a crowd arrives (a class,
 * a meeting) every newcomer's history, presence and first texts are not competing with dozens of
 * certificate, ICE and DTLS set-ups on every machine. Measured in bench:room (50 peers joining 100 ms
 * apart in 10 processes, 2 cores): pairs carrying both ways within 2 s of a join went from 336 to all
 * 1225. With the relay off nothing else can carry, so nothing waits.
 */
export const DIRECT_UPGRADE_CALM_MS = 2_000;
/** ...but a pair's first attempt waits at most this long after the pair appeared (ms), however busy the room. */
export const DIRECT_UPGRADE_WAIT_MAX_MS = 10_000;
/** A direct link that stays disconnected this long falls back to relay (ms). */
export const DIRECT_DISCONNECT_GRACE_MS = 5_000;
/** In-channel heartbeat interval (ms); a link is dead after LINK_HEARTBEAT_MISSES silent intervals. */
export const LINK_HEARTBEAT_MS = 1_000;
export const LINK_HEARTBEAT_MISSES = 3;
/**
 * With the relay allowed, a quiet direct link (no heartbeat for 2 intervals: the relay already
 * carries) is torn down only after this much silence (ms), not after LINK_HEARTBEAT_MISSES: keeping
 * it costs nothing, and on a starved CPU (a room of 50 on 2 cores) peers whose event loops stall
 * for seconds otherwise tear links down and rebuild them again and again. With the relay off a
 * dead link is given up after LINK_HEARTBEAT_MISSES, as nothing else can carry.
 */
export const DIRECT_QUIET_GIVE_UP_MS = 15_000;
/**
 * With the relay allowed, a side pings an idle direct link only after writing nothing for this long
 * (ms), and a link is quiet after this plus 3 beats of silence. A link that is in use is watched by
 * its traffic instead: a frame the peer answers (a text, an image chunk or end, a history frame)
 * that hears nothing back within 2 beats makes it quiet at once. Idle, a link carries 0.4 small
 * messages a second instead of 2: in a room of 50 peers on one machine each idle link cost ~1 ms of
 * CPU a second in wrtc and the mesh, most of it those pings. With the relay off every beat pings.
 */
export const LINK_IDLE_PING_MS = 5_000;
/** Background retry of a direct link while relayed: first delay and cap (ms), doubling. */
export const DIRECT_RETRY_FIRST_MS = 2_000;
export const DIRECT_RETRY_MAX_MS = 60_000;
/** Signaling reconnect backoff: first delay and cap (ms), doubling, with full jitter. */
export const RECONNECT_FIRST_MS = 250;
export const RECONNECT_MAX_MS = 10_000;
/** Unacknowledged outgoing messages kept per peer for re-sending after a path switch. */
export const OUTBOX_MAX_MESSAGES = 1_000;
/** Bytes of unacknowledged images kept per peer (bytes). */
export const OUTBOX_MAX_BYTES = 64 * 1024 * 1024;
/** Message ids remembered per sender for duplicate suppression. */
export const DEDUP_WINDOW = 10_000;
/** Incomplete incoming images held per peer at once. */
export const INCOMING_TRANSFERS_MAX = 8;
/** An incoming image with no new chunk for this long is dropped (ms). */
export const INCOMING_TRANSFER_IDLE_MS = 60_000;

// ---- Cluster mode (issue 12): several rendezvous nodes over Redis ----------------------------
/** How often each node publishes its heartbeat and refreshes the TTL of its presence entries (ms). */
export const NODE_HEARTBEAT_MS = 1_000;
/**
 * A node whose heartbeat has not been heard for this long is dead (ms): its peers are announced
 * gone. 4 missed beats: a busy event loop (a presence flush of 10,000) does not pass for a death.
 */
export const NODE_DEAD_AFTER_MS = 4_000;
/** Presence entries and the node's alive key expire this long after the owner's last refresh (ms). */
export const NODE_ENTRY_TTL_MS = 10_000;
/**
 * The bound on a dead node's users being announced gone by the others (ms): NODE_DEAD_AFTER_MS,
 * plus one check interval (NODE_HEARTBEAT_MS), plus the longest presence flush gap (1 s).
 */
export const NODE_DEPARTURE_BOUND_MS = NODE_DEAD_AFTER_MS + NODE_HEARTBEAT_MS + 1_000;
/**
 * Relayed bytes to one peer on another node not yet credited back by that node: the cross-node
 * stand-in for the receiver's bufferedAmount (which exists only on its node). Past
 * RELAY_PAUSE_ABOVE_BYTES the senders pause, past RELAY_DROP_ABOVE_BYTES frames are dropped.
 */
export const RELAY_NODE_IN_FLIGHT_MAX_BYTES = 24 * 1024 * 1024;
/**
 * In-flight relay bytes to a peer with no credit back for this long are written off (ms): a credit
 * lost with a Redis reconnect must not pause its senders for ever.
 */
export const RELAY_CREDIT_STALE_MS = 5_000;
/**
 * Relayed frames for one node are published together, once per event-loop turn, up to this many
 * bytes in one Redis message (bytes): each PUBLISH costs a command on this node, in Redis and at the
 * subscriber whatever its size. Well below Redis's pub/sub output-buffer limits (8 MiB soft, 32 MiB
 * hard by default), and a few frames only, so one message does not hold up the next for long.
 */
export const REDIS_RELAY_BATCH_MAX_BYTES = 256 * 1024;
/** Nodes listed in a welcome at most. */
export const CLUSTER_NODES_MAX = 64;
/** Longest node address (advertised_url) in a welcome, characters. */
export const NODE_URL_MAX_CHARS = 2_048;
/** PostgreSQL connections one node keeps at most. */
export const PG_POOL_MAX = 10;
/** How long a node waits for a PostgreSQL connection before answering STORE_UNAVAILABLE (ms). */
export const PG_CONNECT_TIMEOUT_MS = 2_000;
/** How long one PostgreSQL query may take before it counts as a failure (ms). */
export const PG_QUERY_TIMEOUT_MS = 5_000;
/** Commands one Redis client may have queued before new ones fail at once. */
export const REDIS_COMMAND_QUEUE_MAX = 100_000;
/** How long connecting to Redis may take (ms). */
export const REDIS_CONNECT_TIMEOUT_MS = 2_000;
/** A node that cannot reach Redis for this long at start does not start (ms). */
export const REDIS_START_TIMEOUT_MS = 5_000;
/** Longest wait between two attempts to reach Redis again (ms). */
export const REDIS_RECONNECT_MAX_MS = 1_000;
/** How long /readyz and a metrics scrape wait for an engine (Redis, PostgreSQL) to answer a ping (ms). */
export const ENGINE_PING_TIMEOUT_MS = 1_000;
