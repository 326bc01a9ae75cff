import NIOCore

/// Validating writes of MQTT's data representations into a buffer the caller has sized.
struct WireWriter {
    let packetType: MQTTPacketType

    func error(_ kind: MQTTEncodeError.Kind) -> MQTTEncodeError {
        MQTTEncodeError(kind: kind, packetType: packetType)
    }

    static func stringSize(_ string: String) -> Int { 2 + string.utf8.count }
    static func binarySize(_ data: ByteBuffer) -> Int { 2 + data.readableBytes }

    func writeString(_ string: String, to buffer: inout ByteBuffer) throws(MQTTEncodeError) {
        let length = string.utf8.count
        guard length <= Int(UInt16.max) else { throw error(.stringTooLong(bytes: length)) }
        guard !UTF8Validation.containsNull(string) else { throw error(.disallowedCodePoint) }
        Self.writeValidatedString(string, to: &buffer)
    }

    /// Writes a string already checked for length and U+0000 (topic rules check both).
    private static func writeValidatedString(_ string: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(truncatingIfNeeded: string.utf8.count))
        buffer.writeString(string)
    }

    func writeBinary(_ data: ByteBuffer, to buffer: inout ByteBuffer) throws(MQTTEncodeError) {
        let length = data.readableBytes
        guard length <= Int(UInt16.max) else { throw error(.binaryDataTooLong(bytes: length)) }
        buffer.writeInteger(UInt16(length))
        buffer.writeImmutableBuffer(data)
    }

    func writePacketIdentifier(_ identifier: UInt16?, to buffer: inout ByteBuffer) throws(MQTTEncodeError) {
        guard let identifier, identifier != 0 else { throw error(.missingPacketIdentifier) }
        buffer.writeInteger(identifier)
    }

    func writeTopicName(_ topic: String, to buffer: inout ByteBuffer) throws(MQTTEncodeError) {
        do throws(MQTTTopicError) {
            try TopicRules.validateTopicName(topic)
        } catch {
            throw self.error(.invalidTopicName(error))
        }
        Self.writeValidatedString(topic, to: &buffer)
    }

    func writeTopicFilter(_ filter: String, to buffer: inout ByteBuffer) throws(MQTTEncodeError) {
        do throws(MQTTTopicError) {
            try TopicRules.validateTopicFilter(filter)
        } catch {
            throw self.error(.invalidTopicFilter(error))
        }
        Self.writeValidatedString(filter, to: &buffer)
    }
}
