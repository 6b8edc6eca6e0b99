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
    /// The curve parameters RFC 6979 needs: the group order, the hash, and k·G's x coordinate.
    struct Curve: Sendable {
        var order: BigUInt
        var size: Int
        var hash: @Sendable ([UInt8]) -> [UInt8]
        var hmac: @Sendable ([UInt8], [UInt8]) -> [UInt8]
        /// The x coordinate of k·G, or nil if BoringSSL rejects k as a scalar.
        var xOfMultiple: @Sendable ([UInt8]) -> [UInt8]?
    }

    static let p256 = Curve(
        order: BigUInt("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", radix: 16)!, size: 32,
        hash: { Array(SHA256.hash(data: $0)) },
        hmac: { key, data in Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key))) },
        xOfMultiple: { k in
            (try? P256.Signing.PrivateKey(rawRepresentation: k)).map { Array($0.publicKey.rawRepresentation.prefix(32)) }
        })

    static let p384 = Curve(
        order: BigUInt(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", radix: 16)!,
        size: 48,
        hash: { Array(SHA384.hash(data: $0)) },
        hmac: { key, data in Array(HMAC<SHA384>.authenticationCode(for: data, using: SymmetricKey(data: key))) },
        xOfMultiple: { k in
            (try? P384.Signing.PrivateKey(rawRepresentation: k)).map { Array($0.publicKey.rawRepresentation.prefix(48)) }
        })

    /// Signs SHA-256(`message`) with a P-256 key; returns r‖s, 32 bytes each, big-endian.
    public static func sign(_ message: some DataProtocol, with key: P256.Signing.PrivateKey) -> [UInt8] {
        sign(Array(message), privateKey: Array(key.rawRepresentation), on: p256)
    }

    /// Signs SHA-384(`message`) with a P-384 key; returns r‖s, 48 bytes each, big-endian.
    public static func sign(_ message: some DataProtocol, with key: P384.Signing.PrivateKey) -> [UInt8] {
        sign(Array(message), privateKey: Array(key.rawRepresentation), on: p384)
    }

    /// RFC 6979 §3.2 with qlen = hlen (true for P-256/SHA-256 and P-384/SHA-384), then ECDSA.
    static func sign(_ message: [UInt8], privateKey: [UInt8], on curve: Curve) -> [UInt8] {
        let order = curve.order
        let d = BigUInt(Data(privateKey))
        let z = BigUInt(Data(curve.hash(message))) % order
        func octets(_ value: BigUInt) -> [UInt8] {
            let bytes = Array(value.serialize())
            return [UInt8](repeating: 0, count: max(0, curve.size - bytes.count)) + bytes.suffix(curve.size)
        }
        let hashLength = curve.hash([]).count
        var v = [UInt8](repeating: 1, count: hashLength)
        var key = [UInt8](repeating: 0, count: hashLength)
        key = curve.hmac(key, v + [0x00] + privateKey + octets(z))
        v = curve.hmac(key, v)
        key = curve.hmac(key, v + [0x01] + privateKey + octets(z))
        v = curve.hmac(key, v)
        while true {
            v = curve.hmac(key, v)
            let k = BigUInt(Data(v))
            if k > 0, k < order, let x = curve.xOfMultiple(octets(k)) {
                let r = BigUInt(Data(x)) % order
                if r > 0, let inverse = ModularInverse.inverse(octets(k), modulo: octets(order)) {
                    let kInverse = BigUInt(Data(inverse))
                    let s = (kInverse * ((z + r * d) % order)) % order
                    if s > 0 { return octets(r) + octets(s) }
                }
            }
            // Rejected candidate: stir the state and try the next one.
            key = curve.hmac(key, v + [0x00])
            v = curve.hmac(key, v)
        }
    }
}
