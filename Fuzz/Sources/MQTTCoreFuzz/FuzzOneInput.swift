import MQTTCore
import NIOCore

/// libFuzzer entry point. The input is read three ways: as a byte stream cut into frames, as one frame
/// whose first byte picks type and flags, and as a topic filter/name pair. Anything that decodes must
/// re-encode to exactly `encodedSize` bytes and decode back to an equal packet.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    for version in MQTTProtocolVersion.allCases {
        decodeStream(input, version: version)
        decodeSingleFrame(input, version: version)
    }
    checkTopics(input)
    return 0
}

private func decodeStream(_ input: ByteBuffer, version: MQTTProtocolVersion) {
    var stream = input
    while true {
        let before = stream.readerIndex
        let frame: MQTTFrame?
        do {
            frame = try MQTTFrame.read(from: &stream, maximumPacketSize: 1 << 16)
        } catch {
            check(error, packetSize: stream.readableBytes)
            precondition(stream.readerIndex == before, "a failed frame read moved the reader")
            return
        }
        guard let frame else {
            precondition(stream.readerIndex == before, "an incomplete frame moved the reader")
            return
        }
        decode(frame, version: version)
    }
}

private func decodeSingleFrame(_ input: ByteBuffer, version: MQTTProtocolVersion) {
    var body = input
    guard let first = body.readInteger(as: UInt8.self), let type = MQTTPacketType(rawValue: first >> 4) else { return }
    decode(MQTTFrame(type: type, flags: first & 0x0F, body: body), version: version)
}

private func decode(_ frame: MQTTFrame, version: MQTTProtocolVersion) {
    let packet: MQTTPacket
    do {
        packet = try MQTTPacket(frame: frame, version: version)
    } catch {
        check(error, packetSize: frame.encodedSize)
        return
    }
    var encodeVersion = version
    if case .connect = packet {
        guard let own = try? MQTTPacket.protocolVersion(ofConnect: frame) else {
            preconditionFailure("CONNECT decoded but its version does not")
        }
        encodeVersion = own
    }
    let size = packet.encodedSize(version: encodeVersion)
    var encoded = ByteBuffer()
    encoded.reserveCapacity(size)
    do {
        try packet.write(to: &encoded, version: encodeVersion)
    } catch {
        preconditionFailure("decoded \(packet) does not re-encode: \(error)")
    }
    precondition(encoded.readableBytes == size, "encodedSize \(size) but wrote \(encoded.readableBytes) for \(packet)")
    let again: MQTTPacket?
    do {
        again = try MQTTPacket.read(from: &encoded, version: encodeVersion, maximumPacketSize: Int.max)
    } catch {
        preconditionFailure("re-encoded \(packet) does not decode: \(error)")
    }
    precondition(again == packet, "round trip changed \(packet) into \(String(describing: again))")
    precondition(encoded.readableBytes == 0, "re-encoded packet has trailing bytes")
}

private func check(_ error: MQTTDecodeError, packetSize: Int) {
    precondition(error.bytes.count <= MQTTDecodeError.maximumReportedBytes, "too many bytes in \(error)")
    precondition(error.offset >= 0, "negative offset in \(error)")
    _ = error.description
}

private func checkTopics(_ input: ByteBuffer) {
    let bytes = input.readableBytesView
    let middle = bytes.startIndex + bytes.count / 2
    let filter = String(decoding: bytes[..<middle], as: UTF8.self)
    let topic = String(decoding: bytes[middle...], as: UTF8.self)
    _ = TopicRules.matches(filter: filter, topic: topic)
    // A valid topic name outside $share/ is a valid filter that matches exactly itself.
    if (try? TopicRules.validateTopicName(topic)) != nil, !topic.hasPrefix("$share/") {
        precondition((try? TopicRules.validateTopicFilter(topic)) != nil, "topic name \(topic) is not a valid filter")
        precondition(TopicRules.matches(filter: topic, topic: topic), "\(topic) does not match itself")
    }
}
