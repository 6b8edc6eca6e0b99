import BigInt
import Foundation
import Testing

@testable import SigningKeys

/// The fixed-limb inverse against BigInt's general one, over the P-256 and P-384 group orders.
@Suite struct ModularInverseTests {
    static let orders = [
        "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
    ]

    static func bytes(_ value: BigUInt, count: Int) -> [UInt8] {
        let raw = Array(value.serialize())
        return [UInt8](repeating: 0, count: count - raw.count) + raw
    }

    @Test(arguments: orders)
    func agreesWithBigIntAcrossTheRange(_ orderHex: String) {
        let order = BigUInt(orderHex, radix: 16)!
        let width = orderHex.count / 2
        // The edges, then values from every bit length.
        var samples: [BigUInt] = [1, 2, 3, order - 1, order - 2, order / 2, order >> 1 + 1]
        var generator = SystemRandomNumberGenerator()
        for bits in 1..<(width * 8) {
            samples.append(BigUInt.randomInteger(withExactWidth: bits, using: &generator) % order)
        }
        for value in samples where value > 0 {
            let expected = value.inverse(order).map { Self.bytes($0, count: width) }
            #expect(
                ModularInverse.inverse(Self.bytes(value, count: width), modulo: Self.bytes(order, count: width)) == expected,
                "\(String(value, radix: 16))")
        }
    }

    @Test func refusesWhatHasNoInverse() {
        #expect(ModularInverse.inverse([0, 0], modulo: [0, 7]) == nil)
        #expect(ModularInverse.inverse([0, 3], modulo: [0, 9]) == nil)  // gcd(3, 9) = 3
        #expect(ModularInverse.inverse([0, 2], modulo: [0, 9]) == [0, 5])
    }
}
