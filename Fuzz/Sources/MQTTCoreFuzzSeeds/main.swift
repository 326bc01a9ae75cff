import Foundation
import MQTTCore
import NIOCore

/// Writes one file per valid packet (both versions) plus a few multi-packet streams into the directory
/// given as the only argument: the seed corpus `Scripts/fuzz.sh` starts libFuzzer from.
let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: MQTTCoreFuzzSeeds <output-directory>\n".utf8))
    exit(2)
}
let directory = URL(fileURLWithPath: arguments[1], isDirectory: true)
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

func text(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }

let common: [MQTTPacket] = [
    .connect(ConnectPacket(clientIdentifier: "sensor-1")),
    .connect(
        ConnectPacket(
            clientIdentifier: "XiaoTandHandCO2-0001", cleanStart: false, keepAliveSeconds: 30, username: "u",
            password: text("p"), will: Will(topic: "fleet/lwt", payload: text("gone"), qos: .atLeastOnce, retain: true))),
    .connack(ConnAckPacket(sessionPresent: true)),
    .connack(ConnAckPacket(reasonCode: .notAuthorized)),
    .publish(PublishPacket(topic: "devices/1/telemetry", payload: text("{\"co2\":412}"))),
    .publish(PublishPacket(topic: "a/b", payload: text("x"), qos: .exactlyOnce, retain: true, dup: true, packetIdentifier: 9)),
    .puback(PublishAckPacket(packetIdentifier: 1)),
    .pubrec(PublishAckPacket(packetIdentifier: 2)),
    .pubrel(PublishAckPacket(packetIdentifier: 3)),
    .pubcomp(PublishAckPacket(packetIdentifier: 4)),
    .subscribe(
        SubscribePacket(
            packetIdentifier: 5,
            subscriptions: [Subscription(filter: "devices/+/telemetry", qos: .atLeastOnce), Subscription(filter: "$share/g/#")])),
    .suback(SubAckPacket(packetIdentifier: 5, reasonCodes: [.grantedQoS1, .unspecifiedError])),
    .unsubscribe(UnsubscribePacket(packetIdentifier: 6, filters: ["devices/#"])),
    .pingreq,
    .pingresp,
    .disconnect(DisconnectPacket()),
]

let v5Only: [MQTTPacket] = [
    .connect(
        ConnectPacket(
            clientIdentifier: "v5", password: text("token"),
            will: Will(
                topic: "w", payload: text("bye"),
                properties: [
                    .willDelayInterval(5), .messageExpiryInterval(60), .contentType("text/plain"), .responseTopic("r"),
                    .correlationData(text("c")), .payloadFormatIndicator(1), .userProperty("k", "v"),
                ]),
            properties: [
                .sessionExpiryInterval(3600), .receiveMaximum(20), .maximumPacketSize(1 << 20), .topicAliasMaximum(10),
                .requestResponseInformation(1), .requestProblemInformation(0), .authenticationMethod("m"),
                .authenticationData(text("d")), .userProperty("fw", "1.0"),
            ])),
    .connack(
        ConnAckPacket(
            properties: [
                .assignedClientIdentifier("auto"), .serverKeepAlive(120), .receiveMaximum(100), .maximumQoS(.atLeastOnce),
                .retainAvailable(false), .maximumPacketSize(65_536), .topicAliasMaximum(5),
                .wildcardSubscriptionAvailable(true), .subscriptionIdentifierAvailable(true),
                .sharedSubscriptionAvailable(false), .responseInformation("ri"), .serverReference("s"), .reasonString("ok"),
            ])),
    .publish(
        PublishPacket(
            topic: "", payload: text("aliased"), qos: .atLeastOnce, packetIdentifier: 7,
            properties: [.topicAlias(1), .subscriptionIdentifier(300), .subscriptionIdentifier(1)])),
    .puback(PublishAckPacket(packetIdentifier: 8, reasonCode: .quotaExceeded, properties: [.reasonString("slow")])),
    .subscribe(
        SubscribePacket(
            packetIdentifier: 9,
            subscriptions: [Subscription(filter: "x", qos: .exactlyOnce, noLocal: true, retainAsPublished: true, retainHandling: .doNotSend)],
            properties: [.subscriptionIdentifier(42)])),
    .unsuback(UnsubAckPacket(packetIdentifier: 6, reasonCodes: [.success, .noSubscriptionExisted])),
    .disconnect(DisconnectPacket(reasonCode: .disconnectWithWillMessage, properties: [.sessionExpiryInterval(0)])),
    .auth(AuthPacket(reasonCode: .continueAuthentication, properties: [.authenticationMethod("m")])),
]

func write(_ bytes: ByteBuffer, _ name: String) throws {
    try Data(bytes.readableBytesView).write(to: directory.appendingPathComponent(name))
}

var count = 0

for (version, packets) in [(MQTTProtocolVersion.v3_1_1, common), (.v5_0, common + v5Only)] {
    var stream = ByteBuffer()
    for (index, packet) in packets.enumerated() {
        var buffer = ByteBuffer()
        try packet.write(to: &buffer, version: version)
        try write(buffer, "v\(version.rawValue)-\(index)-\(packet.type).bin")
        count += 1
        try packet.write(to: &stream, version: version)
    }
    try write(stream, "v\(version.rawValue)-stream.bin")
    count += 1
}
print("wrote \(count) seeds to \(directory.path)")
