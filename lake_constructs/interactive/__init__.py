"""Interactive analysis: EMR Studio, its network and roles, and the cluster its Workspaces attach to."""
