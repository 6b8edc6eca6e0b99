/// A small set kept as a list that nearly always holds one element or none: the writers of an
/// open inblob (one file table), the closes pending on an entry (one descriptor). The first
/// element is stored inline, so the common case allocates nothing; the rest go to an array.
struct MostlyOneList<Element: Equatable> {
    private var first: Element?
    private var others: [Element] = []

    var isEmpty: Bool { first == nil }

    var count: Int { first == nil ? 0 : 1 + others.count }

    func contains(_ element: Element) -> Bool {
        first == element || others.contains(element)
    }

    /// Adds `element` unless it is already there; returns whether it was added.
    @discardableResult
    mutating func insert(_ element: Element) -> Bool {
        guard !contains(element) else { return false }
        if first == nil { first = element } else { others.append(element) }
        return true
    }

    /// Removes `element`; returns whether it was there.
    @discardableResult
    mutating func remove(_ element: Element) -> Bool {
        if first == element {
            first = others.isEmpty ? nil : others.removeFirst()
            return true
        }
        guard let index = others.firstIndex(of: element) else { return false }
        others.remove(at: index)
        return true
    }

    mutating func removeAll() {
        first = nil
        others.removeAll()
    }
}
