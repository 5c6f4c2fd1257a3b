// RESP2, the Redis protocol that 0-db speaks: a pure codec (no sockets, no timers).
// - RequestParser: server side; incremental; multibulk and inline (telnet) commands.
// - ReplyParser: client side; incremental; every RESP2 reply type, nested arrays included.
// - RespWriter: encodes replies (server) and commands (client) into reusable slabs, so that a
//   batch of pipelined replies leaves in one socket write.
// Both parsers are bounded (every declared length is checked before anything is buffered for
// it), never throw on bad input (they return a `RespProtocolError` value), and avoid copies:
// a parsed bulk is a view into the chunk it arrived in unless it spanned chunks.
// The implementation lives in ./resp/ (one file per part); this file is its public face.
export { RespFault, RespError, respDefaults, type RespFaultCode, type RespProtocolError, type RespReply, type RespValue } from './resp/types.ts';
export { RequestParser, splitInlineArgs, type RequestParserOptions, type RequestFrame } from './resp/request.ts';
export { ReplyParser, type ReplyParserOptions, type ReplyFrame } from './resp/reply.ts';
export { RespWriter, encodeReply, encodeCommand, type RespSink, type RespWriterOptions } from './resp/writer.ts';
