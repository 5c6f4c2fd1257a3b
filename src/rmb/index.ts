// Public face of src/rmb: the envelope, the peer library and the relay. Additive: append.
export { RmbError, type RmbErrorCode } from './errors.ts';
export { decodeEnvelope, encodeHeader, makeEnvelope, signEnvelope, frameEnvelope, openPayload, openAuthentic, EnvelopeVersion, type Authenticator, type Authentic, verifyEnvelope, checkFresh, newUid, uidHex, envelopeVersion, envelopeBytesMax, EnvelopeKind, type Envelope, type EnvelopeFields, type Address, type Body } from './envelope.ts';
export { makeToken, readToken, verifyToken, tokenLifetimeMsMax, type Token } from './token.ts';
export { ChainPhonebook, StaticPhonebook, type Phonebook, type TwinEntry } from './phonebook.ts';
export { connect, Peer, peerDefaults, type PeerOptions, type RequestOptions, type Handler } from './peer.ts';
export { startRelay, relayDefaults, type Relay, type RelayOptions, type RelayMetrics } from './relay/server.ts';
export { requestJson } from './json.ts';
