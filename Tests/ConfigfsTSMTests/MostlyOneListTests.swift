import Testing

@testable import ConfigfsTSM

/// The list against an array kept as a set, over random inserts and removals from a small domain
/// (so that repeats, removals of the inline element and of absent ones all happen often).
@Suite struct MostlyOneListTests {
    @Test func behavesAsASet() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var list = MostlyOneList<UInt8>()
            var model: [UInt8] = []
            for _ in 0..<40 {
                let element = UInt8.random(in: 0..<5, using: &generator)
                switch Int.random(in: 0..<10, using: &generator) {
                case 0..<5:
                    let inserted = list.insert(element)
                    #expect(inserted == !model.contains(element))
                    if !model.contains(element) { model.append(element) }
                case 5..<9:
                    let removed = list.remove(element)
                    #expect(removed == model.contains(element))
                    model.removeAll { $0 == element }
                default:
                    list.removeAll()
                    model.removeAll()
                }
                #expect(list.count == model.count && list.isEmpty == model.isEmpty)
                for candidate: UInt8 in 0..<5 { #expect(list.contains(candidate) == model.contains(candidate)) }
            }
        }
    }
}
