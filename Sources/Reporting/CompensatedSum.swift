/// A running sum that carries the rounding error of each addition (Neumaier's variant of Kahan summation), so
/// that a million amounts such as 0.13 add up to what they say (1000486.13, not 1000486.1300000047) in the same
/// single pass.
struct CompensatedSum {
    private var sum = 0.0
    private var compensation = 0.0

    var value: Double { sum + compensation }

    mutating func add(_ x: Double) {
        let t = sum + x
        compensation += abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum
        sum = t
    }
}
