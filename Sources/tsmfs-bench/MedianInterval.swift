import Foundation

/// A confidence interval for the median of a distribution, from a sample of it, that assumes
/// nothing about the distribution's shape: how many of n samples fall below the true median is
/// Binomial(n, ½) whatever the machine's noise looks like, so the k-th smallest and the k-th
/// largest sample bracket the median with probability 1 − 2·P(Binomial(n, ½) < k).
///
/// The bench judges its targets on medians of rounds; this says whether a run's rounds were steady
/// enough for that median to settle a target, or whether the target lies inside the noise.
struct MedianInterval: Equatable {
    var lower: Double
    var upper: Double
    /// The probability that the interval holds the median (at least the level asked for).
    var coverage: Double

    init(lower: Double, upper: Double, coverage: Double) {
        (self.lower, self.upper, self.coverage) = (lower, upper, coverage)
    }

    /// The narrowest interval of order statistics whose coverage is at least `level`; nil when the
    /// sample is too small for that (fewer than 6 values at 95 %) or holds a NaN.
    init?(_ values: [Double], level: Double = 0.95) {
        precondition(level > 0 && level < 1, "a confidence level is a probability strictly between 0 and 1")
        guard !values.contains(where: \.isNaN) else { return nil }
        let sorted = values.sorted()
        let below = Self.binomialHalfCumulative(sorted.count)
        // The largest k with P(B < k) = P(B ≤ k − 1) ≤ (1 − level)/2.
        var k = 0
        while k < sorted.count / 2, below[k] <= (1 - level) / 2 { k += 1 }
        guard k >= 1 else { return nil }
        (lower, upper, coverage) = (sorted[k - 1], sorted[sorted.count - k], 1 - 2 * below[k - 1])
    }

    /// P(B ≤ j) for B ~ Binomial(n, ½), j = 0…n.
    static func binomialHalfCumulative(_ n: Int) -> [Double] {
        var term = pow(0.5, Double(n))  // P(B = 0)
        var cumulative: [Double] = []
        var sum = 0.0
        for j in 0...n {
            if j > 0 { term *= Double(n - j + 1) / Double(j) }
            sum += term
            cumulative.append(sum)
        }
        return cumulative
    }

    /// Whether every value in the interval meets a target, none does, or the target lies inside it.
    func verdict(_ meets: (Double) -> Bool) -> Verdict {
        switch (meets(lower), meets(upper)) {
        case (true, true): .settledMet
        case (false, false): .settledMissed
        default: .unsettled
        }
    }

    enum Verdict: String {
        case settledMet = "met at both ends"
        case settledMissed = "missed at both ends"
        case unsettled = "the target lies inside it, so this run cannot settle it"
    }
}
