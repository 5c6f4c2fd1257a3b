// BIP-39 reference vectors (entropy ⇄ words) and Substrate's seed derivation (substrate-bip39's
// own vectors, password "Substrate"), which makes our Ed25519 keys those of tfchain accounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entropyOfMnemonic, mnemonicOfEntropy, substrateSeed, seedOfMnemonic, generateMnemonic, isValidMnemonic, normalizeMnemonic } from './mnemonic.ts';
import { CryptoError } from './errors.ts';

const vectors: Array<[string, string, string]> = [
  ['00000000000000000000000000000000', 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
    '44e9d125f037ac1d51f0a7d3649689d422c2af8b1ec8e00d71db4d7bf6d127e33f50c3d5c84fa3e5399c72d6cbbbbc4a49bf76f76d952f479d74655a2ef2d453'],
  ['7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f', 'legal winner thank year wave sausage worth useful legal winner thank yellow',
    '4313249608fe8ac10fd5886c92c4579007272cb77c21551ee5b8d60b780416850f1e26c1f4b8d88ece681cb058ab66d6182bc2ce5a03181f7b74c27576b5c8bf'],
  ['ffffffffffffffffffffffffffffffff', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong',
    '227d6256fd4f9ccaf06c45eaa4b2345969640462bbb00c5f51f43cb43418c7a753265f9b1e0c0822c155a9cabc769413ecc14553e135fe140fc50b6722c6b9df'],
  ['8080808080808080808080808080808080808080808080808080808080808080',
    'letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic bless',
    '2c9c6144a06ae5a855453d98c3dea470e2a8ffb78179c2e9eb15208ccca7d831c97ddafe844ab933131e6eb895f675ede2f4e39837bb5769d4e2bc11df58ac42'],
  ['68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c',
    'hamster diagram private dutch cause delay private meat slide toddler razor book happy fancy gospel tennis maple dilemma loan word shrug inflict delay length',
    '7c60c555126c297deddddd59f8cdcdc9e3608944455824dd604897984b5cc369cad749803bb36eb8b786b570c9cdc8db275dbe841486676a6adf389f3be3f076'],
  ['9e885d952ad362caeb4efe34a8e91bd2', 'ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic',
    'f4956be6960bc145cdab782e649a5056598fd07cd3f32ceb73421c3da27833241324dc2c8b0a4d847eee457e6d4c5429f5e625ece22abaa6a976e82f1ec5531d'],
];

test('BIP-39 vectors: entropy ⇄ mnemonic, and the Substrate seed from entropy', () => {
  for (const [entropy, words, seed] of vectors) {
    assert.equal(Buffer.from(entropyOfMnemonic(words)).toString('hex'), entropy);
    assert.equal(mnemonicOfEntropy(Buffer.from(entropy, 'hex')), words);
    assert.equal(Buffer.from(substrateSeed(Buffer.from(entropy, 'hex'), 'Substrate')).toString('hex'), seed);
    assert.equal(Buffer.from(seedOfMnemonic(words, 'Substrate')).toString('hex'), seed.slice(0, 64));
  }
});

test('generated mnemonics have 24 valid words and differ', () => {
  const a = generateMnemonic();
  const b = generateMnemonic();
  assert.equal(a.split(' ').length, 24);
  assert.ok(isValidMnemonic(a));
  assert.notEqual(a, b);
});

test('pasted mnemonics are normalized; bad words and checksums are refused', () => {
  const words = vectors[1]![1];
  assert.equal(normalizeMnemonic(`  ${words.toUpperCase().replaceAll(' ', '\n\t ')}  `), words);
  assert.deepEqual(seedOfMnemonic(` ${words.toUpperCase()} `), seedOfMnemonic(words));
  const wrongChecksum = words.replace(/yellow$/, 'year');
  for (const bad of [wrongChecksum, 'abandon abandon notaword', '']) {
    assert.throws(() => seedOfMnemonic(bad), (e: unknown) => (e as { code?: string }).code === CryptoError.INVALID_MNEMONIC);
  }
});
