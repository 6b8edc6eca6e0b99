import Crypto
import SigningKeys
import Testing

@Suite struct DeterministicECDSATests {
    /// RFC 6979 appendix A.2.5: P-256, SHA-256, message "sample".
    @Test func matchesTheRFC6979Vector() throws {
        let key = try P256.Signing.PrivateKey(
            rawRepresentation: bytes("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"))
        let signature = DeterministicECDSA.sign(Array("sample".utf8), with: key)
        #expect(
            signature == bytes("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716")
                + bytes("F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"))
        let test = DeterministicECDSA.sign(Array("test".utf8), with: key)
        #expect(
            test == bytes("F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367")
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

@Suite struct DeterministicECDSAP384Tests {
    /// RFC 6979 appendix A.2.6: P-384, SHA-384, messages "sample" and "test".
    @Test func matchesTheRFC6979Vector() throws {
        let key = try P384.Signing.PrivateKey(
            rawRepresentation: bytes(
                "6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5"))
        #expect(
            DeterministicECDSA.sign(Array("sample".utf8), with: key)
                == bytes(
                    "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE46"
                        + "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8"))
        #expect(
            DeterministicECDSA.sign(Array("test".utf8), with: key)
                == bytes(
                    "8203B63D3C853E8D77227FB377BCF7B7B772E97892A80F36AB775D509D7A5FEB0542A7F0812998DA8F1DD3CA3CF023DB"
                        + "DDD0760448D42D8A43AF45AF836FCE4DE8BE06B485E9B61B827C2F13173923E06A739F040649A667BF3B828246BAA5A5"))
    }

    private func bytes(_ hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map {
            let start = hex.index(hex.startIndex, offsetBy: $0)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }
}
