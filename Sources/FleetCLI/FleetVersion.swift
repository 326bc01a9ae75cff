/// What `fleet --version` prints: one constant, raised by hand when the tool's behaviour changes for its users
/// (the project has no release tags; 0.6 is the sixth round of work on it).
enum FleetVersion {
    static let current = "0.6.0"
}
