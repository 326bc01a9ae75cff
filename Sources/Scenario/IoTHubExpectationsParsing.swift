import Yams

extension ScenarioParser {
    /// `iothub: { delivered: all, methods-answered: all, twin-answered: all }` (each `all` or `none`).
    func iotHubExpectations(_ node: Node) -> IoTHubExpectations? {
        guard let reader = MappingReader(node, what: "expect.iothub", allowed: ["delivered", "methods-answered", "twin-answered"],
                                         diagnostics: diagnostics) else { return nil }
        if case .mapping(let mapping) = node, mapping.count == 0 {
            diagnostics.report(node, "`expect.iothub` checks nothing", hint: "e.g. { delivered: all, methods-answered: all }")
            return nil
        }
        func share(_ key: String) -> IoTHubShare? {
            reader[key].flatMap { diagnostics.choice($0, key, as: IoTHubShare.self) }
        }
        return IoTHubExpectations(delivered: share("delivered"), methodsAnswered: share("methods-answered"),
                                  twinAnswered: share("twin-answered"))
    }
}
