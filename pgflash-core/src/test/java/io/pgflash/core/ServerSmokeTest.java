package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;

/** The test server is what the build asked for. */
class ServerSmokeTest {

    @Test
    void serverRunsWithLogicalWalLevel() throws Exception {
        TestDatabase db = TestPostgres.shared().createDatabase();
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery("SHOW wal_level")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("logical");
        }
    }

    @Test
    void serverHasTheRequestedMajorVersion() {
        assumeTrue(System.getenv("PGFLASH_TEST_JDBC_URL") == null, "an external server has its own version");
        assertThat(TestPostgres.shared().majorVersion()).isEqualTo(Integer.getInteger("pgflash.test.pg-major"));
    }
}
