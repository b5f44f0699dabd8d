package dev.toolgate.operator.tls;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A CA and a serving certificate for the webhook, as PEM. Pure apart from randomness. */
public final class WebhookCertificates {

    private static final SecureRandom RANDOM = new SecureRandom();

    private WebhookCertificates() {
    }

    /** A key pair and its certificate, PEM-encoded. */
    public record Issued(String certificatePem, String privateKeyPem) {
    }

    public static Issued certificateAuthority(String commonName, Instant now, Duration validity) {
        KeyPair keys = newKeyPair();
        X500Name subject = new X500Name("CN=" + commonName);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(validity)), subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
            return new Issued(pem(sign(builder, keys.getPrivate())), pkcs8(keys.getPrivate()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot create the webhook CA", e);
        }
    }

    public static Issued servingCertificate(Issued ca, List<String> subjectAlternativeNames, Instant now, Duration validity) {
        KeyPair keys = newKeyPair();
        X509Certificate caCertificate = parseCertificates(ca.certificatePem()).get(0);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            List<GeneralName> names = new ArrayList<>();
            for (String san : subjectAlternativeNames) {
                names.add(isIpAddress(san) ? new GeneralName(GeneralName.iPAddress, san) : new GeneralName(GeneralName.dNSName, san));
            }
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate, serial(),
                    Date.from(now.minusSeconds(60)), Date.from(now.plus(validity)),
                    new X500Name("CN=" + subjectAlternativeNames.get(0)), keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)))
                    .addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(caCertificate));
            return new Issued(pem(sign(builder, parsePrivateKey(ca.privateKeyPem()))), pkcs8(keys.getPrivate()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue the webhook serving certificate", e);
        }
    }

    public static List<X509Certificate> parseCertificates(String pem) {
        List<X509Certificate> certificates = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object item;
            while ((item = parser.readObject()) != null) {
                if (item instanceof X509CertificateHolder holder) {
                    certificates.add(new JcaX509CertificateConverter().getCertificate(holder));
                }
            }
            return certificates;
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
        }
    }

    public static PrivateKey parsePrivateKey(String pem) {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object item = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (item instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            if (item instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new IllegalArgumentException("not a PEM private key");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the private key belongs to the public key: a signature made with one verifies with the other. */
    public static boolean matches(java.security.PublicKey publicKey, PrivateKey privateKey) {
        String algorithm = switch (publicKey.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null || !publicKey.getAlgorithm().equals(privateKey.getAlgorithm())) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            java.security.Signature signer = java.security.Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    static boolean isIpAddress(String name) {
        if (!name.matches("[0-9.]+") && !name.contains(":")) {
            return false;
        }
        try {
            InetAddress.getByName(name);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(128, RANDOM);
    }

    /** PKCS#8 ("PRIVATE KEY"), which both BouncyCastle and Vert.x read back for EC keys. */
    static String pkcs8(PrivateKey key) {
        try {
            return pem(new JcaPKCS8Generator(key, null));
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IllegalStateException(e);
        }
    }

    static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
