package io.pgflash.spring.boot.autoconfigure;

import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.ConfigurationCondition;

/**
 * A database to stream from: {@code pgflash.connection.url}, {@code spring.datasource.url}, the application's JDBC
 * connection details, or a DataSource of its own (whose URL must then be given to pgflash; it fails loudly if not).
 */
class OnPgFlashConnectionCondition extends AnyNestedCondition {

    OnPgFlashConnectionCondition() {
        super(ConfigurationCondition.ConfigurationPhase.REGISTER_BEAN);
    }

    @ConditionalOnProperty("pgflash.connection.url")
    static class OwnUrl {
    }

    @ConditionalOnProperty("spring.datasource.url")
    static class DataSourceUrl {
    }

    @ConditionalOnBean(type = "org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails")
    static class ApplicationDatabase {
    }

    @ConditionalOnBean(type = "javax.sql.DataSource")
    static class OwnDataSource {
    }
}
