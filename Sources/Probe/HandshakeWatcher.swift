import NIOCore
import NIOSSL
import NIOTLS

/// Sits behind the TLS handler and turns what happens on the channel into futures the probe can
/// await: the handshake completing, and an alert or close arriving (or not) in the moments after.
final class HandshakeWatcher: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    /// The handshake did not complete within the probe's timeout.
    struct TimedOut: Error {}

    /// The broker closed the connection without an error after the handshake.
    struct ClosedAfterHandshake: Error {}

    // Touched only on the channel's event loop.
    private var negotiatedVersion: TLSVersion??
    private var failure: (any Error)?
    private var waiters: [EventLoopPromise<TLSVersion?>] = []
    private var closeWaiters: [EventLoopPromise<Void>] = []

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            // Read now: a broker that rejects our certificate closes the pipeline moments later.
            let version = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).tlsVersion
            negotiatedVersion = .some(version)
            waiters.forEach { $0.succeed(version) }
            waiters.removeAll()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ClosedAfterHandshake())
        context.fireChannelInactive()
    }

    private func fail(_ error: any Error) {
        if failure == nil { failure = error }
        let error = failure!
        waiters.forEach { $0.fail(error) }
        closeWaiters.forEach { $0.fail(error) }
        waiters.removeAll()
        closeWaiters.removeAll()
    }

    /// Succeeds with the negotiated TLS version when the handshake completes; fails with the TLS
    /// error, or `TimedOut`.
    func handshake(on loop: any EventLoop, timeout: TimeAmount) -> EventLoopFuture<TLSVersion?> {
        loop.flatSubmit {
            if let version = self.negotiatedVersion { return loop.makeSucceededFuture(version) }
            if let failure = self.failure { return loop.makeFailedFuture(failure) }
            let promise = loop.makePromise(of: TLSVersion?.self)
            self.waiters.append(promise)
            loop.scheduleTask(in: timeout) { promise.fail(TimedOut()) }
            return promise.futureResult
        }
    }

    /// Succeeds if nothing goes wrong on the connection for `length`; fails with the first error
    /// (for example the alert a broker sends when it rejects our certificate).
    func quietPeriod(on loop: any EventLoop, length: TimeAmount) -> EventLoopFuture<Void> {
        loop.flatSubmit {
            if let failure = self.failure { return loop.makeFailedFuture(failure) }
            let promise = loop.makePromise(of: Void.self)
            self.closeWaiters.append(promise)
            loop.scheduleTask(in: length) { promise.succeed() }
            return promise.futureResult
        }
    }
}
