import BigInt
import Crypto
import Foundation
import Synchronization
import Testing

@testable import SigningKeys

/// The order arithmetic against BigInt, over the whole 256-bit domain and its edges.
@Suite struct P256ScalarTests {
    static let order = BigUInt("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", radix: 16)!
    static let montgomeryRadix = BigUInt(1) << 256

    static func bytes(_ value: BigUInt) -> [UInt8] {
        let raw = Array(value.serialize())
        return [UInt8](repeating: 0, count: 32 - raw.count) + raw
    }

    static func value(_ scalar: P256Scalar) -> BigUInt { BigUInt(Data(scalar.bytes)) }

    /// Edges of the domain, then values of every bit length up to 2²⁵⁶ − 1.
    static func samples() -> [BigUInt] {
        var generator = SystemRandomNumberGenerator()
        var samples: [BigUInt] = [0, 1, 2, order - 1, order, order + 1, montgomeryRadix - 1, order - 2, order >> 1]
        for bits in 1...256 { samples.append(BigUInt.randomInteger(withExactWidth: bits, using: &generator)) }
        return samples
    }

    @Test func readingReducesModuloTheOrderAndBytesRoundTrip() {
        for sample in Self.samples() {
            let scalar = P256Scalar(reducing: Self.bytes(sample))
            #expect(Self.value(scalar) == sample % Self.order, "\(String(sample, radix: 16))")
            #expect(P256Scalar(reducing: scalar.bytes) == scalar)
        }
        #expect(P256Scalar(reducing: Self.bytes(Self.order)).isZero)
    }

    @Test func theMontgomeryConstantsAreWhatTheyClaim() {
        let wordRadix = BigUInt(1) << 64
        #expect((Self.order * BigUInt(P256Scalar.negatedOrderInverse) + 1) % wordRadix == 0)
        #expect(Self.value(P256Scalar.montgomerySquare) == Self.montgomeryRadix * Self.montgomeryRadix % Self.order)
        #expect(P256Scalar.order.bytes == Self.bytes(Self.order))
    }

    @Test func sumsProductsAndInversesAgreeWithBigInt() {
        let samples = Self.samples().map { $0 % Self.order }
        let radixInverse = Self.montgomeryRadix.inverse(Self.order)!
        for (a, b) in zip(samples, samples.shuffled()) {
            let x = P256Scalar(reducing: Self.bytes(a))
            let y = P256Scalar(reducing: Self.bytes(b))
            #expect(Self.value(x + y) == (a + b) % Self.order)
            #expect(Self.value(P256Scalar.montgomeryProduct(x, y)) == a * b * radixInverse % Self.order)
            #expect(Self.value(x.montgomeryForm) == a * Self.montgomeryRadix % Self.order)
            #expect(x.montgomeryForm.leavingMontgomeryForm == x)
            #expect(Self.value(x.inverse) == (a == 0 ? 0 : a.inverse(Self.order)!), "\(String(a, radix: 16))")
        }
    }
}

@Suite struct PresignatureTests {
    /// RFC 6979 appendix A.2.5 (P-256, SHA-256): the key, and the nonces and signatures of
    /// "sample" and "test". A presignature made from those nonces must sign exactly the same.
    @Test func signsWithAGivenNonceExactlyAsECDSADefinesIt() throws {
        let key = try P256.Signing.PrivateKey(
            rawRepresentation: hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"))
        let cases = [
            (
                "sample", "A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60",
                "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
                    + "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"
            ),
            (
                "test", "D16B6AE827F17175E040871A1C7EC3500192C4C92677336EC2537ACAEE0008E0",
                "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367"
                    + "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"
            ),
        ]
        let nonces = cases.map { P256Scalar(reducing: hex($0.1)) }
        let batch = Presignatures.batch(nonces: nonces, key: P256Scalar(reducing: key.rawRepresentation))
        for (presignature, (message, _, expected)) in zip(batch, cases) {
            #expect(Presignatures.sign(SHA256.hash(data: Array(message.utf8)), with: presignature) == hex(expected), "\(message)")
        }
    }

    @Test func everySignatureVerifiesAndNoNonceIsUsedTwice() throws {
        let key = P256.Signing.PrivateKey()
        let presignatures = Presignatures(key: key, batchSize: 16, refillsInBackground: false)
        // Batches start small and double up to the largest: 8, then 16, then 16 again.
        for (refill, expected) in [8, 24, 40].enumerated() {
            presignatures.refill()
            #expect(presignatures.readyCount == expected, "after refill \(refill + 1)")
        }
        var rs = Set<[UInt8]>()
        for index in 0..<40 {
            let message = Array("quote \(index)".utf8)
            let signature = try #require(presignatures.signature(forDigest: SHA256.hash(data: message)))
            #expect(key.publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: message))
            rs.insert(Array(signature.prefix(32)))
        }
        #expect(rs.count == 40)
        #expect(presignatures.readyCount == 0)
        #expect(presignatures.signature(forDigest: SHA256.hash(data: [0])) == nil)
    }

    @Test func aForkedChildDropsItsParentsStock() {
        let process = Atomic<Int32>(100)
        let presignatures = Presignatures(
            key: P256.Signing.PrivateKey(), batchSize: 4, refillsInBackground: false
        ) { process.load(ordering: .relaxed) }
        presignatures.refill()
        #expect(presignatures.readyCount == 4)  // the first batch, 8, capped at the largest
        process.store(101, ordering: .relaxed)
        #expect(presignatures.signature(forDigest: SHA256.hash(data: [1, 2, 3])) == nil)
        #expect(presignatures.readyCount == 0)
    }

    @Test func runningLowRefillsInTheBackground() throws {
        let key = P256.Signing.PrivateKey()
        let presignatures = Presignatures(key: key, batchSize: 4)
        #expect(presignatures.signature(forDigest: SHA256.hash(data: [0])) == nil)  // nothing ready yet: the caller signs
        let deadline = Date().addingTimeInterval(30)
        while presignatures.readyCount < 4 && Date() < deadline { usleep(1000) }
        #expect(presignatures.readyCount == 4)
        let signature = try #require(presignatures.signature(forDigest: SHA256.hash(data: [1])))
        #expect(key.publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: [1]))
    }

    @Test func aPresigningKeySignsVerifiablyAndADeterministicOneStaysDeterministic() throws {
        let key = SigningKey(P256.Signing.PrivateKey()).presigning()
        for index in 0..<100 {
            let message = Array("report \(index)".utf8)
            #expect(key.publicKey.isValidSignature(try key.signature(for: message), for: message))
        }
        let deterministic = SigningKey(P256.Signing.PrivateKey(), deterministic: true).presigning()
        let message = Array("tsmfs".utf8)
        #expect(
            try deterministic.signature(for: message).rawRepresentation == deterministic.signature(for: message).rawRepresentation
        )
    }

    private func hex(_ text: String) -> [UInt8] {
        stride(from: 0, to: text.count, by: 2).map {
            let start = text.index(text.startIndex, offsetBy: $0)
            return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)!
        }
    }
}
