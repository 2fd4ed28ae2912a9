"""The fulfilment feature's one router: its API modules add their routes to it (the app
lists every route of each feature router, so nested routers are avoided)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["fulfilment"])
