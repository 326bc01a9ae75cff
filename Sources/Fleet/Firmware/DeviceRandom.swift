/// SplitMix64: a tiny, fast, seedable generator.
///
/// Every random choice a device makes (backoff jitter, `{random:…}` payload fields, link jitter) comes
/// from one of these, seeded from the scenario's seed and the device's index, so that a scenario file
/// replays the same way every run. `SystemRandomNumberGenerator` is never used for behaviour.
public struct DeviceRandom: RandomNumberGenerator, Sendable, Hashable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// A generator for one device of a run: independent streams for neighbouring indices.
    public init(runSeed: UInt64, deviceIndex: Int, stream: UInt64 = 0) {
        var mixer = DeviceRandom(seed: runSeed ^ (UInt64(truncatingIfNeeded: deviceIndex) &* 0x9E37_79B9_7F4A_7C15))
        var seed = mixer.next()
        if stream != 0 {
            seed ^= stream &* 0xD1B5_4A32_D192_ED03
            mixer = DeviceRandom(seed: seed)
            seed = mixer.next()
        }
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
