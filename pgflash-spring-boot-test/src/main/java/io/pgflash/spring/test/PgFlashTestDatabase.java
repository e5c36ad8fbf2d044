package io.pgflash.spring.test;

import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Points an application under test at a new database of a real PostgreSQL started for the test JVM (embedded from
 * Maven Central by default; see {@link TestPostgres} for Testcontainers or a server of your own), with
 * {@code wal_level=logical} so every pgflash driver runs:
 *
 * <pre>{@code
 * @DynamicPropertySource
 * static void database(DynamicPropertyRegistry properties) {
 *     PgFlashTestDatabase.register(properties);
 * }
 * }</pre>
 */
public final class PgFlashTestDatabase {

    private PgFlashTestDatabase() {
    }

    /** Creates the database and sets {@code spring.datasource.url}, {@code .username} and {@code .password} to it. */
    public static TestDatabase register(DynamicPropertyRegistry properties) {
        TestDatabase db = TestPostgres.shared().createDatabase();
        properties.add("spring.datasource.url", db::jdbcUrl);
        properties.add("spring.datasource.username", db::user);
        properties.add("spring.datasource.password", db::password);
        return db;
    }
}
