"""Walking through a generator's latent space: interpolation and meaningful directions
(lesson 02; lesson 02's latent explorer widget is built on it).

    from gan_course.latent import lerp, slerp, latent_directions

* ``lerp`` and ``slerp`` move from one code to another in a straight line or along a
  great circle;
* ``latent_directions`` finds the few directions in z that change the images the most.
"""

from __future__ import annotations

import torch
from torch import nn

from gan_course.device import module_device

_PARALLEL = 1e-4  # below this sin(omega), the two codes are treated as (anti)parallel


def _check_pair(z0: torch.Tensor, z1: torch.Tensor) -> None:
    if z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must have the same shape, got {tuple(z0.shape)} "
                         f"and {tuple(z1.shape)}")
    if z0.dim() not in (1, 2):
        raise ValueError(f"codes must be (D,) or (N, D), got shape {tuple(z0.shape)}")


def _as_steps(t: float | torch.Tensor, like: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """t as a (T, 1) or (T, 1, 1) tensor that broadcasts against ``like``, and whether t was a
    single number (then the caller drops the leading T axis)."""
    if isinstance(t, torch.Tensor):
        if t.dim() > 1:
            raise ValueError(f"t must be a number or a (T,) tensor, got shape {tuple(t.shape)}")
        single = t.dim() == 0
    elif isinstance(t, (int, float)):
        single = True
    else:
        raise TypeError(f"t must be a number or a (T,) tensor, got {type(t).__name__}")
    steps = torch.as_tensor(t, dtype=like.dtype, device=like.device)
    return steps.reshape(-1, *([1] * like.dim())), single


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """Linear interpolation  z(t) = (1 - t) z0 + t z1.

    Shapes: z0, z1 are (D,) or (N, D). A number t gives a code shaped like z0; a (T,) tensor
    of t gives (T, D) for (D,) codes and (T, N, D) for (N, D) codes (one row per t).
    """
    _check_pair(z0, z1)
    steps, single = _as_steps(t, z0)
    path = (1 - steps) * z0 + steps * z1
    return path[0] if single else path


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """Spherical linear interpolation along the great circle from z0 to z1.

        omega = arccos(<z0, z1> / (|z0| |z1|))
        z(t)  = sin((1 - t) omega) / sin(omega) z0  +  sin(t omega) / sin(omega) z1

    Why: a Gaussian code z ~ N(0, I_D) has |z|^2 = sum of D squares, about D, so in high
    dimension almost every code lies near the sphere of radius sqrt(D). Two such codes are
    nearly orthogonal, so the midpoint of the straight line between them has norm about
    sqrt(D / 2): a region the generator hardly ever saw in training, where its images tend to
    fade or blur. For codes of equal norm, slerp keeps the norm all the way along the path.

    Where omega is about 0 (same direction) slerp and lerp agree, and lerp is used; lerp is
    also used for opposite codes (omega about pi) and zero codes, where the circle is not
    defined. Shapes as in :func:`lerp`.
    """
    _check_pair(z0, z1)
    steps, single = _as_steps(t, z0)
    norms = z0.norm(dim=-1, keepdim=True) * z1.norm(dim=-1, keepdim=True)  # (1,) or (N, 1)
    cosine = (z0 * z1).sum(dim=-1, keepdim=True) / norms.clamp_min(1e-12)
    omega = torch.arccos(cosine.clamp(-1.0, 1.0))
    sin_omega = torch.sin(omega)
    use_lerp = (sin_omega < _PARALLEL) | (norms == 0)
    safe_sin = torch.where(use_lerp, torch.ones_like(sin_omega), sin_omega)
    curved = (torch.sin((1 - steps) * omega) * z0 + torch.sin(steps * omega) * z1) / safe_sin
    straight = (1 - steps) * z0 + steps * z1
    path = torch.where(use_lerp, straight, curved)
    return path[0] if single else path


def _generate_flat(G: nn.Module, z: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """G(z) for codes z (N, z_dim), in batches, flattened to (N, pixels) on the CPU."""
    device = module_device(G)
    pieces = []
    with torch.no_grad():
        for start in range(0, len(z), batch):
            images = G(z[start:start + batch].to(device))
            pieces.append(images.flatten(1).cpu())
    return torch.cat(pieces)


def latent_directions(G: nn.Module, n_directions: int = 5, n_samples: int = 2000,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """The latent directions that change G's images the most: (n_directions, z_dim), unit rows.

    The method (a linear summary of what G does, in the spirit of GANSpace):

    1. sample Z ~ N(0, I), shape (n, z_dim), and X = G(Z) flattened to (n, pixels);
    2. centre X and take its top principal components with an SVD, Xc = U S V^T;
       the scores P = Xc V_k (n, k) say how far each image sits along each component;
    3. regress the scores on the centred codes by least squares, W = argmin |Zc W - P|^2,
       W of shape (z_dim, k): column j is the move in z that best predicts component j;
    4. normalise each column to unit length.

    Row 0 is the direction for the component that explains the most image variance, row 1
    the next, and so on. Each row's sign is chosen so that its largest entry is positive.
    G is put in eval mode (batch norm then uses its running statistics) and left there.
    """
    z_dim = G.z_dim
    if not 1 <= n_directions <= z_dim:
        raise ValueError(f"n_directions must be between 1 and z_dim={z_dim}, got {n_directions}")
    if n_samples <= z_dim:
        raise ValueError(f"n_samples must exceed z_dim={z_dim} for the regression, "
                         f"got {n_samples}")
    G.eval()
    z = torch.randn(n_samples, z_dim, generator=generator)
    x = _generate_flat(G, z).double()
    x_centred = x - x.mean(dim=0)
    _, _, vt = torch.linalg.svd(x_centred, full_matrices=False)  # rows of vt: components
    if n_directions > vt.shape[0]:
        raise ValueError(f"the images have only {vt.shape[0]} principal components, "
                         f"asked for {n_directions}")
    scores = x_centred @ vt[:n_directions].T  # (n, k)
    z_centred = (z - z.mean(dim=0)).double()
    w = torch.linalg.lstsq(z_centred, scores).solution  # (z_dim, k)
    directions = (w / w.norm(dim=0, keepdim=True)).T  # (k, z_dim)
    for row in range(n_directions):
        if directions[row, directions[row].abs().argmax()] < 0:
            directions[row] = -directions[row]
    return directions.float()
