extension Double {
    /// The value when it is finite, else nil: JSON has no NaN or infinity, so a metric that comes out as one is
    /// undefined and says null.
    var finiteOrNil: Double? { isFinite ? self : nil }
}
