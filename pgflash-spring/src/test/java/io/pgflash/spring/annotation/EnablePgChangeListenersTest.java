package io.pgflash.spring.annotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.spring.listener.ListenerEndpointRegistry;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** {@code @PgChangeListener} on Spring Framework alone: no Boot, a PgFlash bean of the application's own. */
class EnablePgChangeListenersTest {

    static TestDatabase db = TestPostgres.shared().createDatabase();

    @Test
    void anAnnotatedMethodReceivesRowsBoundToItsRecordWithTheContextsLifecycle() {
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text)");
        try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext(Application.class)) {
            Titles titles = context.getBean(Titles.class);
            assertThat(context.getBean(ListenerEndpointRegistry.class).listenerIds()).containsExactly("titles");
            assertThat(context.getBean(PgFlash.class).isRunning()).isTrue();

            db.execute("INSERT INTO posts VALUES (1, 'framework only')");
            await().until(() -> titles.seen.contains("framework only"));
        }
    }

    public record Post(long id, String title) {
    }

    public static class Titles {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @PgChangeListener(value = "posts", id = "titles", ops = Operation.INSERT)
        void onPost(Post post) {
            seen.add(post.title());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnablePgChangeListeners
    static class Application {

        @Bean
        PgFlash pgFlash() {
            return PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                    .driver(NotifyDriver.builder().removeSchemaOnShutdown(true).build()).build();
        }

        @Bean
        Titles titles() {
            return new Titles();
        }
    }
}
