import httpx


async def test_the_asyncapi_document_is_served_without_a_token(client: httpx.AsyncClient) -> None:
    reply = await client.get("/api/v1/asyncapi.yaml")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/yaml")
    assert "zy.registry.{district}.VolunteerRegistered" in reply.text
    assert "zhiyuan.activities.HoursLogged.v1" in reply.text
