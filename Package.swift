// swift-tools-version:6.1
import PackageDescription

/// `fleet`: simulates fleets of MQTT devices against a broker.
///
/// Targets are layered; each imports only the ones above it in this list
/// (see README.md, "Architecture"):
/// MQTTCore → MQTTClient → Probe, DevicePKI → Scenario → Ledger → Fleet → Verification → Reports → fleet,
/// and beside them LabBroker (MQTTCore only): the embedded broker, which knows nothing of the fleet.
/// AzureCredentials (Crypto only) is shared by both sides: the SAS tokens devices make and the lab broker checks.
let package = Package(
    name: "fleet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "fleet", targets: ["FleetCLI"]),
        .library(name: "MQTTCore", targets: ["MQTTCore"]),
        .library(name: "MQTTClient", targets: ["MQTTClient"]),
        .library(name: "DevicePKI", targets: ["DevicePKI"]),
        // For Benchmarks/ (a package of its own, so CI does not build it).
        .library(name: "Scenario", targets: ["Scenario"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "Verification", targets: ["Verification"]),
        .library(name: "Observation", targets: ["Observation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        // Wire protocol: packets, properties, reason codes, codec. No I/O.
        .target(
            name: "MQTTCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // One MQTT connection on NIO: TCP/TLS/WebSocket, state machine, keep-alive, QoS flows, endings.
        .target(
            name: "MQTTClient",
            dependencies: [
                "MQTTCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        // `fleet probe`: the step-by-step connection diagnosis (DNS, TCP, TLS, mTLS, CONNECT, round trips).
        .target(
            name: "Probe",
            dependencies: [
                "MQTTCore", "MQTTClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // Root/intermediate CA and one X.509 identity per device. No NIO.
        .target(
            name: "DevicePKI",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // Azure IoT Hub device credentials: SAS tokens, the device username, DPS group-key derivation. No NIO.
        .target(
            name: "AzureCredentials",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // The lab broker: an MQTT 3.1.1 + 5.0 broker on loopback whose profiles (data files) imitate the
        // brokers our users deploy to (Event Grid, IoT Hub). Knows nothing of the fleet.
        .target(
            name: "LabBroker",
            dependencies: [
                "MQTTCore", "AzureCredentials",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            exclude: ["Profile/PROFILES.md"],
            resources: [
                .embedInCode("Profile/BuiltIn/standard.yaml"),
                .embedInCode("Profile/BuiltIn/eventgrid.yaml"),
                .embedInCode("Profile/BuiltIn/iothub.yaml"),
            ]
        ),
        // Scenario YAML → validated Plan with file:line:column errors. No NIO I/O (MQTTCore for BrokerURL).
        .target(
            name: "Scenario",
            dependencies: ["MQTTCore", "AzureCredentials", .product(name: "Yams", package: "Yams")]
        ),
        // The one vocabulary of run events and its append-only JSON-lines log.
        .target(name: "Ledger"),
        // Virtual devices, timeline executor, fault injectors.
        .target(
            name: "Fleet",
            dependencies: [
                "MQTTCore", "MQTTClient", "DevicePKI", "Scenario", "Ledger", "AzureCredentials",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Observers, verdicts, latency histograms.
        .target(
            name: "Verification",
            dependencies: [
                "Ledger", "Scenario",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // Observer connections: subscribe before the devices start, feed every delivery to the verdicts.
        .target(
            name: "Observation",
            dependencies: [
                "MQTTCore", "MQTTClient", "Scenario", "Ledger", "Verification", "Fleet",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Terminal, JSON, JUnit and HTML reports.
        .target(
            name: "Reports",
            dependencies: [
                "Ledger", "Verification",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // Prometheus `/metrics` during a run: a registry fed plain numbers and a tiny HTTP server. No Fleet.
        .target(
            name: "RunMetrics",
            dependencies: [
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The `fleet` command line: parse, call, print.
        .executableTarget(
            name: "FleetCLI",
            dependencies: [
                "MQTTCore", "MQTTClient", "Probe", "DevicePKI", "Scenario", "Ledger", "Fleet", "Observation", "Verification", "Reports", "RunMetrics",
                "LabBroker", "AzureCredentials",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "MQTTCoreTests",
            dependencies: ["MQTTCore", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "MQTTClientTests",
            dependencies: [
                "MQTTCore", "MQTTClient", "DevicePKI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // TLSUserEvent: what a local TLS server negotiated (ALPN tests).
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ProbeTests",
            dependencies: [
                "Probe", "MQTTCore", "MQTTClient", "LabBroker",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .testTarget(
            name: "ObservationTests",
            dependencies: [
                "Observation", "Verification", "Scenario", "Ledger", "MQTTClient", "MQTTCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "DevicePKITests", dependencies: ["DevicePKI"]),
        // Runs Microsoft's azure-iot-device SDK (python3) to check our tokens byte for byte.
        .testTarget(name: "AzureCredentialsTests", dependencies: ["AzureCredentials"]),
        .testTarget(
            name: "LabBrokerTests",
            dependencies: [
                "LabBroker", "MQTTCore", "MQTTClient", "DevicePKI", "AzureCredentials",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Runs the built `fleet` binary on the scenario library against the test broker.
        .testTarget(name: "EndToEndTests", dependencies: ["Scenario", "Ledger", "Verification", "Reports", "DevicePKI"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario"]),
        .testTarget(
            name: "FleetTests",
            dependencies: [
                "Fleet", "Scenario", "Ledger", "MQTTClient", "MQTTCore", "DevicePKI", "LabBroker",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RunMetricsTests",
            dependencies: [
                "RunMetrics",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "VerificationTests",
            dependencies: [
                "Verification", "Reports", "Ledger", "Scenario",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
