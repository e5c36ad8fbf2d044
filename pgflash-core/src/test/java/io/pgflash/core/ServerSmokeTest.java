package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;

class ServerSmokeTest {

    @Test
    void serverRunsWithLogicalWalLevel() throws Exception {
        TestDatabase db = TestPostgres.shared().createDatabase();
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery("SHOW wal_level")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("logical");
        }
    }
}
