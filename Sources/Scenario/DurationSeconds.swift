extension Duration {
    /// The duration as fractional seconds, for arithmetic and messages.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
