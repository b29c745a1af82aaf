"""Small pieces every domain uses: SSM discovery parameters, trust policies, local bundling."""
