import BigInt
import Crypto
import Foundation

/// ECDSA P-256/SHA-256 with the nonce derived from the key and the message (RFC 6979), so the
/// same key signing the same bytes always gives the same signature. Used only where tsmfs is
/// asked for reproducible output; the signatures verify like any other ECDSA signature.
///
/// k·G is computed by BoringSSL (importing k as a private key and reading its public point);
/// only the arithmetic modulo the group order happens here.
public enum DeterministicECDSA {
    /// The order n of the P-256 base point.
    static let order = BigUInt("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", radix: 16)!

    /// Signs SHA-256(`message`); returns r‖s, 32 bytes each, big-endian.
    public static func sign(_ message: some DataProtocol, with key: P256.Signing.PrivateKey) -> [UInt8] {
        let digest = Array(SHA256.hash(data: message))
        let d = BigUInt(Data(key.rawRepresentation))
        let z = BigUInt(Data(digest)) % order
        var nonces = NonceGenerator(privateKey: Array(key.rawRepresentation), digest: octets(z))
        while true {
            let k = nonces.next()
            guard k > 0, k < order,
                  let point = try? P256.Signing.PrivateKey(rawRepresentation: octets(k)).publicKey.rawRepresentation
            else { continue }
            let r = BigUInt(Data(point.prefix(32))) % order
            guard r > 0, let kInverse = k.inverse(order) else { continue }
            let s = (kInverse * ((z + r * d) % order)) % order
            guard s > 0 else { continue }
            return octets(r) + octets(s)
        }
    }

    /// A 32-byte big-endian encoding.
    static func octets(_ value: BigUInt) -> [UInt8] {
        let bytes = Array(value.serialize())
        return [UInt8](repeating: 0, count: max(0, 32 - bytes.count)) + bytes.suffix(32)
    }

    /// RFC 6979 §3.2's HMAC-DRBG for qlen = hlen = 256.
    struct NonceGenerator {
        private var k = SymmetricKey(data: [UInt8](repeating: 0, count: 32))
        private var v = [UInt8](repeating: 1, count: 32)
        private var started = false

        init(privateKey: [UInt8], digest: [UInt8]) {
            k = SymmetricKey(data: hmac(v + [0x00] + privateKey + digest))
            v = hmac(v)
            k = SymmetricKey(data: hmac(v + [0x01] + privateKey + digest))
            v = hmac(v)
        }

        private func hmac(_ data: [UInt8]) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: data, using: k))
        }

        /// The next candidate k; after a rejected candidate the state is stirred first.
        mutating func next() -> BigUInt {
            if started {
                k = SymmetricKey(data: hmac(v + [0x00]))
                v = hmac(v)
            }
            started = true
            v = hmac(v)
            return BigUInt(Data(v))
        }
    }
}
