// swift-tools-version:6.1
import PackageDescription

/// libFuzzer harness for MQTTCore, kept out of the root package so a normal build never needs the
/// fuzzer runtime. Build and run with `Scripts/fuzz.sh`.
let package = Package(
    name: "MQTTCoreFuzz",
    dependencies: [
        .package(name: "fleet", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Exports LLVMFuzzerTestOneInput; libFuzzer provides `main`.
        .executableTarget(
            name: "MQTTCoreFuzz",
            dependencies: [
                .product(name: "MQTTCore", package: "fleet"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        // Writes the seed corpus: valid packets of every type in both versions.
        .executableTarget(
            name: "MQTTCoreFuzzSeeds",
            dependencies: [
                .product(name: "MQTTCore", package: "fleet"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
