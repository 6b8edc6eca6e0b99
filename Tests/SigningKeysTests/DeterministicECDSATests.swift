import Crypto
import SigningKeys
import Testing

@Suite struct DeterministicECDSATests {
    /// RFC 6979 appendix A.2.5: P-256, SHA-256, message "sample".
    @Test func matchesTheRFC6979Vector() throws {
        let key = try P256.Signing.PrivateKey(rawRepresentation: bytes("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"))
        let signature = DeterministicECDSA.sign(Array("sample".utf8), with: key)
        #expect(signature == bytes("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716")
                + bytes("F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"))
        let test = DeterministicECDSA.sign(Array("test".utf8), with: key)
        #expect(test == bytes("F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367")
                + bytes("019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"))
    }

    @Test func signaturesVerifyAndRepeat() throws {
        let key = SigningKey(P256.Signing.PrivateKey(), deterministic: true)
        let message = Array("tsmfs".utf8)
        let first = try key.signature(for: message)
        #expect(key.publicKey.isValidSignature(first, for: message))
        #expect(try key.signature(for: message).rawRepresentation == first.rawRepresentation)
        let random = SigningKey(key.key)
        #expect(try random.signature(for: message).rawRepresentation != first.rawRepresentation)
    }

    private func bytes(_ hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map {
            let start = hex.index(hex.startIndex, offsetBy: $0)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }
}
