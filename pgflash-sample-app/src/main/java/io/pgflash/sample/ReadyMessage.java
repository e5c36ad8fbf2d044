package io.pgflash.sample;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;

/** Tells the newcomer where to look once everything runs, and how to write to the embedded server by hand. */
@Component
class ReadyMessage implements ApplicationListener<ApplicationReadyEvent> {

    private static final Logger log = LoggerFactory.getLogger(ReadyMessage.class);

    private final ObjectProvider<EmbeddedPostgres> embedded;

    ReadyMessage(ObjectProvider<EmbeddedPostgres> embedded) {
        this.embedded = embedded;
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        if (event.getApplicationContext() instanceof WebServerApplicationContext web && web.getWebServer() != null) {
            log.info("pgflash sample is running: open http://localhost:{}/", web.getWebServer().getPort());
        }
        embedded.ifAvailable(postgres -> log.info("Write to its embedded PostgreSQL yourself with: psql -h localhost"
                + " -p {} -U postgres -c \"INSERT INTO posts (title) VALUES ('Hello from psql')\"",
                postgres.getPort()));
    }
}
