import AzureCredentials
import Foundation
import Scenario

/// The token a SAS device presents at one connect: a fresh one valid for its lifetime, or the faulty one a
/// `sas-fault` step makes it present. Pure: the time comes in.
struct SASTokenIssuer {
    struct Issued {
        let token: String
        /// Unix seconds; for a good token, when the device must have renewed it.
        let expiry: Int
        /// What the device presented, for a refusal's reason; nil for a good token.
        let fault: String?
    }

    static func issue(_ sas: DeviceSAS, now: Int, fault: SASFaultKind?) -> Issued {
        let lifetime = Int(sas.lifetime.components.seconds)
        let good = IoTHubDeviceCredentials.token(hub: sas.hub, deviceID: sas.deviceID, key: sas.signingKey.bytes,
                                                 expiry: now + lifetime, policyName: sas.policyName)
        switch fault {
        case nil:
            return Issued(token: good, expiry: now + lifetime, fault: nil)
        case .expiredToken:
            // A token issued two lifetimes ago: it expired one lifetime before this connect.
            let expiry = now - lifetime
            return Issued(token: IoTHubDeviceCredentials.token(hub: sas.hub, deviceID: sas.deviceID, key: sas.signingKey.bytes,
                                                               expiry: expiry, policyName: sas.policyName),
                          expiry: expiry, fault: "an expired SAS token (expired \(lifetime) s before this connect; sas-fault expired-token)")
        case .wrongKey:
            let wrong = Data(sas.signingKey.bytes.map { $0 ^ 0xFF })
            return Issued(token: IoTHubDeviceCredentials.token(hub: sas.hub, deviceID: sas.deviceID, key: wrong,
                                                               expiry: now + lifetime, policyName: sas.policyName),
                          expiry: now + lifetime, fault: "a SAS token signed with the wrong key (sas-fault wrong-key)")
        case .otherDevice:
            // A group of one has no other device: the token names one that is not in the plan.
            let other = sas.sibling == sas.deviceID ? sas.deviceID + "-other" : sas.sibling
            return Issued(token: IoTHubDeviceCredentials.token(hub: sas.hub, deviceID: other, key: sas.siblingKey.bytes,
                                                               expiry: now + lifetime, policyName: sas.policyName),
                          expiry: now + lifetime, fault: "the SAS token of device \(other) (sas-fault other-device)")
        }
    }

    /// How long after a connect the device renews its token: its lifetime less the renewal margin.
    static func renewalDelay(_ sas: DeviceSAS) -> Duration { sas.lifetime - sas.renewBefore }
}
