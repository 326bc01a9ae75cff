import Ledger
import MQTTClient
import MQTTCore
import XCTest

@testable import Fleet

final class DisconnectCauseTests: XCTestCase {
    func testEndingsWeAskedForAreLoggedAsThoseEndings() {
        XCTAssertEqual(VirtualDevice.cause(of: .ended(.graceful), endingInProgress: .graceful).0, .graceful)
        XCTAssertEqual(VirtualDevice.cause(of: .ended(.silent), endingInProgress: .silent).0, .silent)
        XCTAssertEqual(VirtualDevice.cause(of: .ended(.gracefulWithWill), endingInProgress: nil).0, .gracefulWithWill)
        // An abrupt close we started may surface as an I/O error: it is still our abrupt ending.
        let reset = VirtualDevice.cause(of: .failed(.io("Connection reset by peer")), endingInProgress: .abrupt)
        XCTAssertEqual(reset.0, .abrupt)
        XCTAssertEqual(reset.1, "I/O error: Connection reset by peer")
    }

    func testBrokerSideEndingsAreToldApart() {
        XCTAssertEqual(VirtualDevice.cause(of: .failed(.serverDisconnected(.sessionTakenOver, reasonString: nil)),
                                           endingInProgress: nil).0, .takenOver)
        XCTAssertEqual(VirtualDevice.cause(of: .failed(.serverDisconnected(.serverBusy, reasonString: nil)),
                                           endingInProgress: nil).0, .serverDisconnect)
        XCTAssertEqual(VirtualDevice.cause(of: .failed(.closedByPeer), endingInProgress: nil).0, .serverDisconnect)
        XCTAssertEqual(VirtualDevice.cause(of: .failed(.keepAliveTimeout(.seconds(5))), endingInProgress: nil).0,
                       .keepAliveTimeout)
        XCTAssertEqual(VirtualDevice.cause(of: .failed(.io("broken pipe")), endingInProgress: nil).0, .networkError)
    }

    func testConnectFailuresAreStagedWhereTheyHappened() {
        XCTAssertEqual(MQTTDeviceLink.stage(of: .tcpConnectFailed(address: "a", reason: "refused")), .tcp)
        XCTAssertEqual(MQTTDeviceLink.stage(of: .connectTimeout(address: "a", timeout: .seconds(1))), .tcp)
        XCTAssertEqual(MQTTDeviceLink.stage(of: .tlsConfiguration("no key")), .tls)
        XCTAssertEqual(MQTTDeviceLink.stage(of: .connectionRefused(.notAuthorized, reasonString: nil)), .connack)
    }

    func testFaultyIdentitiesLiveInTheRunsFolderByKind() {
        XCTAssertEqual(CertificateFaultIdentities.certsFolder(chain: "Certs/devices/dev-1/chain.pem", clientID: "dev-1"),
                       "Certs")
        XCTAssertNil(CertificateFaultIdentities.certsFolder(chain: "elsewhere/chain.pem", clientID: "dev-1"))
        XCTAssertEqual(CertificateFaultIdentities.directory(faults: "runs/x.cert-faults/", kind: .expired),
                       "runs/x.cert-faults/expired")
    }
}
