// End-to-end encryption and key binding, all in one place (DESIGN-NOTES item 4): the cipher, the
// session keys, the pair keys, the sealed relay payload, direct links bound to device keys, and
// safety numbers. The mesh and the UI use these; nothing else here does crypto.

export { nobleAead, type Aead } from './aead';
export { generateSessionKey, sessionAuth, verifiedSessionKey, sessionKeyProofBytes, type SessionKeyPair } from './sessionKey';
export { derivePairKeys, nobleX25519, ownKeys, warmUpPairKeys, type OwnKeys, type PairKeys, type X25519 } from './pairKeys';
export { openSealed, sealedSender, sealOverhead, writeSealed, SEALED_VERSION, type OpenedPayload, type SealTarget } from './sealed';
export { sdpFingerprints, sdpSignedBy, signSdp } from './dtlsBinding';
export { safetyNumber } from './safetyNumber';
