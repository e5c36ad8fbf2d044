package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.spring.test.ListenerEvents;
import io.pgflash.spring.test.PgFlashTestDatabase;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

// The README's example of testing an application with pgflash-spring-boot-test, as it is (ReadmeSpringExamplesTest).
// README-START testing
@SpringBootTest
@Import(PostsTest.Events.class)
class PostsTest {
    @DynamicPropertySource
    static void database(DynamicPropertyRegistry properties) {
        PgFlashTestDatabase.register(properties);
    }

    @TestConfiguration
    static class Events {
        @Bean
        ListenerEvents listenerEvents() {
            return new ListenerEvents();
        }
    }

    @Autowired ListenerEvents events;
    @Autowired JdbcClient jdbc;

    @Test
    void aNewPostReachesItsListener() throws Exception {
        jdbc.sql("INSERT INTO posts (title) VALUES ('Hello')").update();
        ChangeEvent event = events.await("new-posts", e -> "Hello".equals(e.newRow().get("title")));
        assertThat(event.operation()).isEqualTo(Operation.INSERT);
    }
}
// README-END testing
