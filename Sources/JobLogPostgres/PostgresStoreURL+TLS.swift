import Foundation
import JobLogStore
import NIOSSL
import PostgresNIO

extension PostgresStoreURL {
    /// The TLS of every connection to this store (the pool, the writer's, the cross-node feed's),
    /// from `sslmode` and `sslrootcert` as libpq reads them. Throws a clear `incompatible` error
    /// for what cannot work: a root file that cannot be read, or `verify-full` of an IP address
    /// (the certificate's name is checked through SNI, which carries host names only).
    public func tls() throws -> PostgresConnection.Configuration.TLS {
        switch try negotiation() {
        case .disable: return .disable
        case .prefer(let configuration): return .prefer(try context(configuration))
        case .require(let configuration): return .require(try context(configuration))
        }
    }

    /// The same for the pool (`PostgresClient` takes the configuration, not a context).
    func clientTLS() throws -> PostgresClient.Configuration.TLS {
        switch try negotiation() {
        case .disable: return .disable
        case .prefer(let configuration): return .prefer(configuration)
        case .require(let configuration): return .require(configuration)
        }
    }

    private enum Negotiation {
        case disable
        case prefer(TLSConfiguration)
        case require(TLSConfiguration)
    }

    private func negotiation() throws -> Negotiation {
        switch sslMode {
        case .disable:
            return .disable
        case .prefer:
            return .prefer(try configuration(verify: .none))
        case .require:
            return .require(try configuration(verify: sslRootCert == nil ? .none : .noHostnameVerification))
        case .verifyCA:
            return .require(try configuration(verify: .noHostnameVerification))
        case .verifyFull:
            guard !Self.isIPAddress(host) else {
                throw StoreError.incompatible(
                    "--store: sslmode=verify-full checks the certificate against a host name; \(host) is an IP "
                        + "address (name the host, or use sslmode=verify-ca)")
            }
            return .require(try configuration(verify: .fullVerification))
        }
    }

    private func configuration(verify: CertificateVerification) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = verify
        if let sslRootCert, verify != .none {
            guard FileManager.default.isReadableFile(atPath: sslRootCert) else {
                throw StoreError.incompatible("--store: sslrootcert \(sslRootCert) cannot be read")
            }
            configuration.trustRoots = .file(sslRootCert)
        }
        return configuration
    }

    private func context(_ configuration: TLSConfiguration) throws -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw StoreError.incompatible("--store: TLS: \(error)")
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return inet_pton(AF_INET, bare, &v4) == 1 || inet_pton(AF_INET6, bare, &v6) == 1
    }
}
