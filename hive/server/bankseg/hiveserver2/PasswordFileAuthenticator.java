package bankseg.hiveserver2;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.security.sasl.AuthenticationException;
import org.apache.hive.service.auth.PasswdAuthenticationProvider;

/**
 * HiveServer2's CUSTOM authentication (hive.server2.authentication=CUSTOM): user names and
 * PBKDF2-HMAC-SHA256 password hashes from the file that BANKSEG_HIVE_USERS_FILE names, one
 * {@code user:iterations:salt:hash} line per user (salt and hash in base64), as
 * bankseg/hiveserver2.py writes it. The file is read at every login, so a new password applies
 * without a restart.
 */
public final class PasswordFileAuthenticator implements PasswdAuthenticationProvider {
    static final String USERS_FILE_ENV = "BANKSEG_HIVE_USERS_FILE";

    @Override
    public void Authenticate(String user, String password) throws AuthenticationException {
        String usersFile = System.getenv(USERS_FILE_ENV);
        if (usersFile == null) {
            throw new AuthenticationException("no users file: the server was started without " + USERS_FILE_ENV);
        }
        String[] entry = null;
        try {
            for (String line : Files.readAllLines(Paths.get(usersFile), StandardCharsets.UTF_8)) {
                String[] fields = line.trim().split(":");
                if (fields.length == 4 && fields[0].equals(user)) {
                    entry = fields;
                }
            }
        } catch (IOException error) {
            throw new AuthenticationException("cannot read the users file " + usersFile, error);
        }
        if (entry == null || password == null || !matches(password, entry)) {
            // The same answer for an unknown user and a wrong password.
            throw new AuthenticationException("wrong user name or password for user '" + user + "'");
        }
    }

    private static boolean matches(String password, String[] entry) throws AuthenticationException {
        try {
            int iterations = Integer.parseInt(entry[1]);
            byte[] salt = Base64.getDecoder().decode(entry[2]);
            byte[] expected = Base64.getDecoder().decode(entry[3]);
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, expected.length * 8);
            byte[] actual = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            return MessageDigest.isEqual(expected, actual);
        } catch (GeneralSecurityException | IllegalArgumentException error) {
            throw new AuthenticationException("the users file has a malformed entry for user '" + entry[0] + "'", error);
        }
    }
}
