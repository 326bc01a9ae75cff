import NIOCore

/// The device-visible part of one device twin: desired and reported properties, each with the `$version`
/// IoT Hub increments on every change of that section (tags are service-only and not modelled).
public struct DeviceTwin: Sendable, Hashable {
    public private(set) var desired: [String: TwinValue] = [:]
    public private(set) var reported: [String: TwinValue] = [:]
    /// A new twin's sections start at version 1.
    public private(set) var desiredVersion = 1
    public private(set) var reportedVersion = 1

    public init() {}

    /// Merges a device's reported patch; returns the new reported version. Nothing changes on error.
    mutating func patchReported(_ body: ByteBuffer, limits: IoTHubLimits) throws(TwinPatchError) -> Int {
        reported = try Self.merged(reported, with: body, limits: limits).result
        reportedVersion += 1
        return reportedVersion
    }

    /// Merges the service's desired patch; returns the new desired version and the patch as validated
    /// (nulls kept: the device needs them to delete). Nothing changes on error.
    mutating func patchDesired(_ body: ByteBuffer, limits: IoTHubLimits) throws(TwinPatchError)
        -> (version: Int, patch: [String: TwinValue])
    {
        let (result, patch) = try Self.merged(desired, with: body, limits: limits)
        desired = result
        desiredVersion += 1
        return (desiredVersion, patch)
    }

    /// `{"desired":{…,"$version":N},"reported":{…,"$version":M}}`: the body of a twin GET response.
    public var document: ByteBuffer {
        var desiredSection = desired
        desiredSection["$version"] = .integer(Int64(desiredVersion))
        var reportedSection = reported
        reportedSection["$version"] = .integer(Int64(reportedVersion))
        return TwinValue.serialize(["desired": .object(desiredSection), "reported": .object(reportedSection)])
    }

    private static func merged(_ section: [String: TwinValue], with body: ByteBuffer, limits: IoTHubLimits)
        throws(TwinPatchError) -> (result: [String: TwinValue], patch: [String: TwinValue])
    {
        let patch = try TwinValue.parseObject(body)
        try TwinValue.validate(patch: patch, limits: limits)
        var result = section
        result.mergeTwinPatch(patch)
        let size = TwinValue.size(of: result)
        guard size <= limits.twinSectionBytes else { throw .sectionTooLarge(bytes: size, limit: limits.twinSectionBytes) }
        return (result, patch)
    }
}
