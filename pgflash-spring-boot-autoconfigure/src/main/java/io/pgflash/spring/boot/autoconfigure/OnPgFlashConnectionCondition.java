package io.pgflash.spring.boot.autoconfigure;

import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.ConfigurationCondition;

/** A database to stream from: {@code pgflash.connection.url}, or the application's JDBC connection details. */
class OnPgFlashConnectionCondition extends AnyNestedCondition {

    OnPgFlashConnectionCondition() {
        super(ConfigurationCondition.ConfigurationPhase.REGISTER_BEAN);
    }

    @ConditionalOnProperty("pgflash.connection.url")
    static class OwnUrl {
    }

    @ConditionalOnBean(type = "org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails")
    static class ApplicationDatabase {
    }
}
