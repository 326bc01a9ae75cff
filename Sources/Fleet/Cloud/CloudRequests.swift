import Foundation
import Ledger
import Scenario

/// An `iothub` step's requests: one per selected device, its templates filled in for that device.
enum CloudRequests {
    /// Every selected device's request, in selection order. `{random}` draws from the step's own stream of
    /// the plan's seed, so the same file sends the same requests however the run is split.
    static func render(_ spec: IoTHubSpec, step: Int, ordinals: [Int], devices: [DevicePlan], seed: UInt64) -> [CloudRequest] {
        var random = SeededGenerator(seed: seed, stream: UInt64(step) | 1 << 42)
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        return ordinals.map { ordinal in
            let device = devices[ordinal]
            func text(_ template: Template) -> String {
                template.binding(clientID: device.clientID, index: device.index, group: device.group)
                    .render(sequence: 0, timestampMilliseconds: now, uptimeMilliseconds: 0, random: &random)
            }
            let message: CloudRequest.Message = switch spec.request {
            case .cloudToDevice(let payload, let properties):
                .cloudToDevice(payload: text(payload),
                               properties: properties.map { CloudProperty(name: $0.name, value: text($0.value)) })
            case .desired(let patch):
                .desiredPatch(json: text(patch))
            case .method(let name, let payload, let timeout):
                .directMethod(name: name, payload: text(payload), timeout: timeout)
            }
            return CloudRequest(deviceID: device.clientID, message: message)
        }
    }
}

extension CloudRequest {
    /// The detail's kind for this request.
    var kind: CloudMessageDetail.Kind {
        switch message {
        case .cloudToDevice: .c2d
        case .desiredPatch: .desired
        case .directMethod: .method
        }
    }

    /// What was asked, for a detail when the hub sent nothing.
    var summary: String {
        switch message {
        case .cloudToDevice(let payload, _): "\(payload.utf8.count)-byte message"
        case .desiredPatch(let json): "patch \(json)"
        case .directMethod(let name, _, _): name
        }
    }
}
